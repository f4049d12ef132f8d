"""Feature extraction (mmdistill.apis.extract_features, the library of
tools/extract_features.py) end to end on a tiny ResNet-18 at 32 px."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from mmdistill.apis import extract_features
from mmdistill.apis.feature_extraction import group_frames
from mmdistill.registry import DATASETS, MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

FRAMES = {'v1': 5, 'v2': 3, 'v3': 4}
FRAME_CONFIG = """
_base_ = [{runtime!r}]
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(type='ResNet', depth=18),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=7, in_channels=512))
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
frames = dict(type='BaseDataset', data_root={root!r}, ann_file='ann.json')
test_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(frames, pipeline=test_pipeline))
# A random training pipeline: extraction must use the test pipeline instead.
train_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(frames, pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='RandomFlip', prob=1.0, direction='horizontal'),
        dict(type='PackInputs')]))
"""


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    """Frames of three videos, a frame config and two checkpoints."""
    root = str(tmp_path_factory.mktemp('frames'))
    rng = np.random.default_rng(0)
    data_list = []
    for video, count in FRAMES.items():
        os.makedirs(osp.join(root, video))
        for frame in range(count):
            path = f'{video}/{frame:04d}.png'
            cv2.imwrite(
                osp.join(root, path),
                rng.integers(0, 256, (32, 32, 3), dtype=np.uint8))
            data_list.append(
                dict(
                    img_path=path,
                    gt_label=(frame + len(video)) % 7,
                    video=video,
                    frame=frame * 25))
    with open(osp.join(root, 'ann.json'), 'w') as f:
        json.dump(dict(metainfo=dict(), data_list=data_list), f)
    config = osp.join(root, 'frames_cfg.py')
    with open(config, 'w') as f:
        f.write(
            FRAME_CONFIG.format(
                runtime=osp.join(REPO, 'configs', '_base_',
                                 'default_runtime.py'),
                root=root))

    cfg = Config.fromfile(config)
    init_default_scope('mmpretrain')
    torch.manual_seed(1)
    model = MODELS.build(cfg.model)
    for m in model.backbone.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    full = osp.join(root, 'full.pth')
    torch.save(dict(meta=dict(epoch=3), state_dict=model.state_dict()), full)
    backbone_only = osp.join(root, 'backbone.pth')
    weights = {
        k[len('backbone.'):]: v
        for k, v in model.state_dict().items() if k.startswith('backbone.')
    }
    weights['fc.weight'] = torch.zeros(1000, 512)  # as in torchvision files
    torch.save(weights, backbone_only)

    # Reference: the classifier's own neck (GAP) on the test pipeline.
    model.eval()
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    expected, start = {}, 0
    with torch.no_grad():
        for video, count in FRAMES.items():
            batch = pseudo_collate(
                [dataset[i] for i in range(start, start + count)])
            inputs = model.data_preprocessor(batch)['inputs']
            expected[video] = model.extract_feat(inputs)[-1].numpy()
            start += count
    return dict(
        config=config,
        full=full,
        backbone_only=backbone_only,
        expected=expected,
        data_list=data_list)


def run(setup, out_dir, checkpoint='full', split='test'):
    return extract_features(
        setup['config'],
        setup[checkpoint],
        str(out_dir),
        split=split,
        batch_size=3,
        device='cpu').computed


def mtimes(out_dir):
    return {v: os.stat(out_dir / f'{v}.npy').st_mtime_ns for v in FRAMES}


def test_features_and_index(setup, tmp_path):
    assert run(setup, tmp_path) == ['v1', 'v2', 'v3']
    index = json.loads((tmp_path / 'index.json').read_text())
    assert index['feature_dim'] == 512
    assert index['fps'] == 1.0
    assert index['checkpoint'] == setup['full']
    assert index['config'] == setup['config']
    assert list(index['videos']) == ['v1', 'v2', 'v3']
    for video, count in FRAMES.items():
        entry = index['videos'][video]
        assert entry == dict(
            file=f'{video}.npy',
            num_frames=count,
            labels=[(f + len(video)) % 7 for f in range(count)],
            split='test')
        feats = np.load(tmp_path / entry['file'])
        assert feats.dtype == np.float32 and feats.shape == (count, 512)
        np.testing.assert_allclose(
            feats, setup['expected'][video], rtol=1e-4, atol=1e-5)
    assert not [f for f in os.listdir(tmp_path) if f.endswith('.partial')]


def test_backbone_only_weights_and_train_split_use_test_pipeline(
        setup, tmp_path):
    assert run(
        setup, tmp_path, 'backbone_only', split='train') == ['v1', 'v2', 'v3']
    index = json.loads((tmp_path / 'index.json').read_text())
    assert {e['split'] for e in index['videos'].values()} == {'train'}
    for video in FRAMES:
        np.testing.assert_allclose(
            np.load(tmp_path / f'{video}.npy'),
            setup['expected'][video],
            rtol=1e-4,
            atol=1e-5)
    with pytest.raises(ValueError, match='checkpoint'):
        run(setup, tmp_path, 'full')


def test_checkpoint_of_another_architecture_is_refused(setup, tmp_path):
    from mmdistill.utils import CheckpointError
    wrong = tmp_path / 'resnet50.pth'
    torch.save({'state_dict': {
        'backbone.' + k: v
        for k, v in MODELS.build(dict(type='ResNet', depth=50)).state_dict()
        .items()
    }}, wrong)
    with pytest.raises(CheckpointError, match='does not fit'):
        extract_features(setup['config'], str(wrong), str(tmp_path / 'out'))
    assert not (tmp_path / 'out' / 'index.json').exists()


def test_resume_recomputes_only_incomplete_videos(setup, tmp_path):
    run(setup, tmp_path)
    reference = {v: np.load(tmp_path / f'{v}.npy') for v in FRAMES}
    before = mtimes(tmp_path)
    assert run(setup, tmp_path) == []
    assert mtimes(tmp_path) == before

    # A deleted array is recomputed, and only it.
    os.remove(tmp_path / 'v2.npy')
    assert run(setup, tmp_path) == ['v2']
    after = mtimes(tmp_path)
    assert after['v1'] == before['v1'] and after['v3'] == before['v3']
    np.testing.assert_array_equal(
        np.load(tmp_path / 'v2.npy'), reference['v2'])

    # Killed while writing v3: a half-written temporary file, no entry.
    index = json.loads((tmp_path / 'index.json').read_text())
    del index['videos']['v3']
    (tmp_path / 'index.json').write_text(json.dumps(index))
    data = (tmp_path / 'v3.npy').read_bytes()
    os.remove(tmp_path / 'v3.npy')
    (tmp_path / '.v3.npy.x1y2z3.part').write_bytes(data[:len(data) // 2])
    # A truncated array under the final name is not complete either.
    data = (tmp_path / 'v1.npy').read_bytes()
    (tmp_path / 'v1.npy').write_bytes(data[:len(data) // 2])
    assert run(setup, tmp_path) == ['v1', 'v3']
    for video in FRAMES:
        np.testing.assert_array_equal(
            np.load(tmp_path / f'{video}.npy'), reference[video])


def test_failed_write_leaves_no_file_that_looks_complete(
        setup, tmp_path, monkeypatch):

    def crash(file, array):
        file.write(b'\x93NUMPY half')
        raise OSError('disk full')

    monkeypatch.setattr(np, 'save', crash)
    with pytest.raises(OSError, match='disk full'):
        run(setup, tmp_path)
    assert os.listdir(tmp_path) == []
    monkeypatch.undo()
    assert run(setup, tmp_path) == ['v1', 'v2', 'v3']


def test_unordered_frames_are_refused(setup, tmp_path):
    videos = group_frames(_ListDataset(setup['data_list']))
    assert list(videos) == ['v1', 'v2', 'v3']
    assert videos['v2']['indices'] == [5, 6, 7]
    shuffled = setup['data_list'][:5] + setup['data_list'][6:] + [
        setup['data_list'][5]
    ]
    with pytest.raises(ValueError, match="'v2' are not contiguous"):
        group_frames(_ListDataset(shuffled))
    swapped = [setup['data_list'][1], setup['data_list'][0]]
    with pytest.raises(ValueError, match='order the dataset'):
        group_frames(_ListDataset(swapped))


def test_amp_needs_cuda(setup, tmp_path):
    with pytest.raises(ValueError, match='amp needs a CUDA device'):
        extract_features(
            setup['config'], setup['full'], str(tmp_path), amp=True,
            device='cpu')


class _ListDataset:
    """Only what group_frames reads."""

    def __init__(self, data_list):
        self.data_list = data_list

    def __len__(self):
        return len(self.data_list)

    def get_data_info(self, idx):
        return dict(self.data_list[idx])
