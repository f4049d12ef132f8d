"""The SSL view pipelines in ``configs/_base_/datasets`` are mmpretrain's
``imagenet_bs32_*`` views: the Cholec80 bases equal them, the 64 px synthetic
bases differ only in the crop size and the blur sigma range scaled by
64 / 224. The views are copied rather than inherited because a
``mmpretrain::`` base tags each of its dicts with ``_scope_='mmpretrain'``
(mmengine's cross-package inheritance), which would change every resolved
config (``test_resolved_snapshot.py``).
"""
import copy
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.utils import get_installed_path

from config_resolution import ROOT

UPSTREAM = osp.join(
    get_installed_path('mmpretrain'), '.mim', 'configs', '_base_', 'datasets')
OURS = osp.join(ROOT, 'configs', '_base_', 'datasets')
VIEWS = {
    'mocov2': ('view_pipeline', ),
    'simclr': ('view_pipeline', ),
    'byol': ('view_pipeline1', 'view_pipeline2'),
}
# Demo crop 64 px; blur sigma (0.1, 2.0) * 64 / 224 = (0.0286, 0.571),
# written to two decimals.
SMALL_CROP = 64
SMALL_SIGMA = (0.03, 0.57)


def load(folder, name):
    return Config.fromfile(osp.join(folder, name)).to_dict()


def small(views):
    """mmpretrain's views with the synthetic bases' two changes applied."""
    views = copy.deepcopy(views)
    for step in views:
        if step['type'] == 'RandomResizedCrop':
            step['scale'] = SMALL_CROP
        if step['type'] == 'GaussianBlur':
            step['magnitude_range'] = SMALL_SIGMA
    return views


def test_small_sigma_is_the_scaled_upstream_range():
    assert SMALL_SIGMA == tuple(
        round(s * SMALL_CROP / 224, 2) for s in (0.1, 2.0))


@pytest.mark.parametrize('algo', sorted(VIEWS))
def test_cholec80_views_equal_mmpretrain(algo):
    upstream = load(UPSTREAM, f'imagenet_bs32_{algo}.py')
    ours = load(OURS, f'cholec80_bs32_{algo}.py')
    for key in VIEWS[algo] + ('train_pipeline', ):
        assert ours[key] == upstream[key], key
    assert (ours['train_dataloader']['dataset']['pipeline'] ==
            upstream['train_pipeline'])


def test_cholec80_mocov2_loader_and_preprocessor_equal_mmpretrain():
    upstream = load(UPSTREAM, 'imagenet_bs32_mocov2.py')
    ours = load(OURS, 'cholec80_bs32_mocov2.py')
    assert ours['data_preprocessor'] == upstream['data_preprocessor']
    loader = {k: v for k, v in ours['train_dataloader'].items()
              if k != 'dataset'}
    assert loader == {k: v for k, v in upstream['train_dataloader'].items()
                      if k != 'dataset'}


@pytest.mark.parametrize('algo', sorted(VIEWS))
def test_synthetic_views_are_mmpretrain_at_64_px(algo):
    upstream = load(UPSTREAM, f'imagenet_bs32_{algo}.py')
    ours = load(OURS, f'synthetic_bs8_{algo}.py')
    for key in VIEWS[algo]:
        assert ours[key] == small(upstream[key]), key
    views = [ours[key] for key in VIEWS[algo]]
    pipeline = ours['train_dataloader']['dataset']['pipeline']
    assert pipeline[1]['transforms'] == views
    assert pipeline == ours['train_pipeline']
