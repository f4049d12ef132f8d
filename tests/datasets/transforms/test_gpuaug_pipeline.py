"""The decode/crop/pack CPU pipeline: same crop draws as today, clear error
for an undecodable frame."""
import cv2
import numpy as np
import pytest
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmdistill  # noqa: F401
from mmdistill.datasets import SurgicalDataError
from mmdistill.datasets.synthetic import render_frames
from mmdistill.registry import TRANSFORMS

OLD = 'configs/_base_/datasets/cholec80_bs32_mocov2.py'
NEW = 'configs/_base_/datasets/cholec80_bs32_mocov2_gpuaug.py'


@pytest.fixture(scope='module')
def frame_path(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('frames') / '00000001.jpg')
    cv2.imwrite(path, render_frames(1)[0])
    return path


def crops(pipeline_cfg, path, seed, n=40):
    """The crop boxes the pipeline's RandomResizedCrop draws for ``n``
    samples after seeding numpy (what a worker's seed fixes)."""
    init_default_scope('mmpretrain')
    multi_view = [t for t in pipeline_cfg if t['type'] == 'MultiView'][0]
    crop_cfg = [
        t for t in multi_view['transforms'][0]
        if t['type'] == 'RandomResizedCrop'
    ][0]
    crop = TRANSFORMS.build(crop_cfg)
    img = cv2.imread(path)
    np.random.seed(seed)
    return [crop.rand_crop_params(img) for _ in range(n)]


def test_crop_parameters_drawn_as_today(frame_path):
    old, new = Config.fromfile(OLD), Config.fromfile(NEW)
    for seed in (0, 1):
        assert (crops(new.train_pipeline, frame_path, seed) == crops(
            old.train_pipeline, frame_path, seed))
    # Only the resize backend differs.
    old_crop = old.view_pipeline[0]
    new_crop = new.train_pipeline[1]['transforms'][0][0]
    assert {**old_crop, 'backend': 'cv2'} == new_crop


def test_new_pipeline_packs_uint8_views(frame_path):
    init_default_scope('mmpretrain')
    pipeline = Compose(Config.fromfile(NEW).train_pipeline)
    out = pipeline(dict(img_path=frame_path, sample_idx=0))
    views = out['inputs']
    assert len(views) == 2
    for view in views:
        assert view.dtype.is_floating_point is False
        assert tuple(view.shape) == (3, 224, 224)
    assert not (views[0] == views[1]).all()


def test_undecodable_frame_names_file_and_fix(tmp_path):
    bad = tmp_path / '00000007.jpg'
    good = cv2.imencode('.jpg', render_frames(1)[0])[1].tobytes()
    bad.write_bytes(good[:20])  # a truncated header: nothing decodes
    init_default_scope('mmpretrain')
    load = TRANSFORMS.build(dict(type='LoadFrame'))
    with pytest.raises(SurgicalDataError) as info:
        load(dict(img_path=str(bad)))
    message = str(info.value)
    assert message.startswith(str(bad))
    assert 'verify_phase_dataset.py' in message
    assert 'prepare_phase_dataset.py' in message


def test_load_frame_matches_mmcv_loading(frame_path):
    init_default_scope('mmpretrain')
    ours = TRANSFORMS.build(dict(type='LoadFrame'))(dict(img_path=frame_path))
    theirs = TRANSFORMS.build(dict(type='LoadImageFromFile'))(
        dict(img_path=frame_path))
    assert np.array_equal(ours['img'], theirs['img'])
    assert ours['img_shape'] == theirs['img_shape']
