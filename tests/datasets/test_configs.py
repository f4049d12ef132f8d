"""The dataset config bases build, feed their pipelines, and drive a few
training iterations of an SSL algorithm and of a phase probe."""
import math
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmdistill.datasets.phases import get_phases
from mmdistill.registry import DATASETS, TRANSFORMS
from tiny_models import BACKBONE, MOCO_HEAD, MOCO_NECK

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASES = osp.join(REPO, 'configs', '_base_')
SSL = {
    'cholec80_bs32_mocov2.py': 224,
    'cholec80_bs32_simclr.py': 224,
    'cholec80_bs32_byol.py': 224,
    'synthetic_bs8_mocov2.py': 64,
    'synthetic_bs8_simclr.py': 64,
    'synthetic_bs8_byol.py': 64,
}
LABELLED = {
    'cholec80_phase_frames.py': (224, 7),
    'm2cai16_phase_frames.py': (224, 8),
    'synthetic_phase_frames.py': (64, 7),
}


def load(name: str) -> Config:
    return Config.fromfile(osp.join(BASES, 'datasets', name))


@pytest.mark.parametrize('name, size', SSL.items())
def test_ssl_bases_give_two_views(name, size, synthetic_data_root):
    init_default_scope('mmpretrain')
    cfg = load(name)
    loader = cfg.train_dataloader
    assert loader.dataset.type == 'SurgicalFrames'
    assert loader.dataset.videos == 'train' and loader.dataset.fps == 1
    assert loader.drop_last and loader.persistent_workers == (
        loader.num_workers > 0)
    loader.dataset.update(
        data_root=synthetic_data_root, split_scheme='synthetic')
    dataset = DATASETS.build(loader.dataset)
    assert dataset.videos == ['video01', 'video02']
    views = dataset[0]['inputs']
    assert [tuple(v.shape) for v in views] == [(3, size, size)] * 2


@pytest.mark.parametrize('name, spec', LABELLED.items())
def test_labelled_pipelines(name, spec):
    init_default_scope('mmpretrain')
    size, num_classes = spec
    cfg = load(name)
    # The phase count comes from the metric's dataset; the preprocessor
    # (only a default for the probe model's own) carries no num_classes.
    assert len(get_phases(cfg.test_evaluator.dataset)) == num_classes
    assert 'num_classes' not in cfg.data_preprocessor
    assert cfg.test_dataloader.dataset.videos == 'test'
    assert cfg.test_dataloader.dataset.test_mode
    for pipeline in (cfg.train_pipeline, cfg.test_pipeline):
        assert pipeline[0].type == 'LoadImageFromFile'
        results = dict(
            img=np.zeros((250, 250, 3), np.uint8),
            img_shape=(250, 250),
            ori_shape=(250, 250),
            gt_label=3,
            video='video01',
            frame=7)
        for transform in pipeline[1:]:
            results = TRANSFORMS.build(transform)(results)
        assert tuple(results['inputs'].shape) == (3, size, size)
        sample = results['data_samples']
        assert (sample.video, sample.frame) == ('video01', 7)
        assert sample.gt_label.tolist() == [3]


def run_config(text: str, work_dir: str) -> Runner:
    path = osp.join(work_dir, 'config.py')
    with open(path, 'w') as f:
        f.write(text)
    cfg = Config.fromfile(path)
    cfg.work_dir = work_dir
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def test_mocov2_trains_on_synthetic_frames(synthetic_data_root, tmp_path):
    runner = run_config(
        f"""
_base_ = [{osp.join(BASES, 'datasets', 'synthetic_bs8_mocov2.py')!r},
          {osp.join(BASES, 'default_runtime.py')!r}]
model = dict(type='MoCo', queue_len=32, feat_dim=16, momentum=0.001,
             backbone={BACKBONE!r}, neck={MOCO_NECK!r}, head={MOCO_HEAD!r})
train_dataloader = dict(num_workers=0, persistent_workers=False,
                        dataset=dict(data_root={synthetic_data_root!r}))
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.03, momentum=0.9))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=3)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=3, by_epoch=False))
""", str(tmp_path))
    assert runner.iter == 3
    loss = runner.message_hub.get_scalar('train/loss').current()
    # InfoNCE over 1 positive + 32 negatives starts near log(33).
    assert math.isfinite(loss) and 0.5 * math.log(33) < loss < 2 * math.log(33)


def test_phase_probe_trains_and_validates(synthetic_data_root, tmp_path):
    runner = run_config(
        f"""
_base_ = [{osp.join(BASES, 'datasets', 'synthetic_phase_frames.py')!r},
          {osp.join(BASES, 'default_runtime.py')!r}]
model = dict(type='ImageClassifier', backbone={BACKBONE!r},
             neck=dict(type='GlobalAveragePooling'),
             head=dict(type='LinearClsHead', num_classes=7, in_channels=512))
loader = dict(num_workers=0, persistent_workers=False,
              dataset=dict(data_root={synthetic_data_root!r}))
train_dataloader = loader
val_dataloader = loader
test_dataloader = loader
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=2)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=2, by_epoch=False))
""", str(tmp_path))
    assert runner.iter == 2
    hub = runner.message_hub
    assert 0 <= hub.get_scalar('val/phase/accuracy').current() <= 100
    assert 0 <= hub.get_scalar('val/phase/strict_f1').current() <= 100
    assert math.isfinite(hub.get_scalar('train/loss').current())
