"""PhaseFeatureSequences reads what tools/extract_features.py writes."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate

from mmdistill.datasets.feature_sequences import PhaseFeatureSequences
from mmdistill.registry import DATASETS, MODELS, VIDEO_DATASETS

from feature_dirs import write_feature_dir


@pytest.fixture
def feature_dir(tmp_path):
    """Factory: ``feature_dir(videos)`` writes them under ``tmp_path``."""
    return lambda videos, **kwargs: write_feature_dir(
        str(tmp_path), videos, **kwargs)


@pytest.fixture
def videos():
    """Two training videos and one test video with 4-d features."""
    rng = np.random.default_rng(0)
    layout = [('video01', 6, 'train'), ('video02', 3, 'train'),
              ('video41', 5, 'test')]
    return {
        name: (rng.standard_normal((length, 4)),
               rng.integers(0, 7, length), split)
        for name, length, split in layout
    }


def test_items_hold_whole_videos(feature_dir, videos):
    dataset = PhaseFeatureSequences(feature_dir(videos))
    assert len(dataset) == 3
    item = dataset[1]
    feats, labels, _ = videos['video02']
    assert item['inputs'].dtype == torch.float32
    torch.testing.assert_close(item['inputs'],
                               torch.tensor(feats, dtype=torch.float32))
    assert item['data_samples'].gt_phase.dtype == torch.long
    assert item['data_samples'].gt_phase.tolist() == labels.tolist()
    assert item['data_samples'].video_name == 'video02'
    assert item['data_samples'].num_frames == 3
    assert DATASETS.get('PhaseFeatureSequences') is PhaseFeatureSequences
    assert VIDEO_DATASETS.get('PhaseFeatureSequences') is PhaseFeatureSequences


def video_names(dataset):
    return [dataset[i]['data_samples'].video_name for i in range(len(dataset))]


def test_split_and_video_selection(feature_dir, videos):
    root = feature_dir(videos)
    train = PhaseFeatureSequences(root, videos='train')
    assert video_names(train) == ['video01', 'video02']
    test = PhaseFeatureSequences(root, videos='test')
    assert video_names(test) == ['video41']
    chosen = PhaseFeatureSequences(root, videos=['video41', 'video01'])
    assert video_names(chosen) == ['video41', 'video01']


def test_pipeline_runs_before_packing(feature_dir, videos):

    def every_other_frame(results):
        results['feats'] = results['feats'][::2]
        results['gt_phase'] = results['gt_phase'][::2]
        return results

    dataset = PhaseFeatureSequences(
        feature_dir(videos), pipeline=[every_other_frame])
    item = dataset[0]
    assert item['inputs'].shape == (3, 4)
    assert item['data_samples'].gt_phase.tolist(
    ) == videos['video01'][1][::2].tolist()


def test_batches_feed_the_model(feature_dir, videos):
    dataset = PhaseFeatureSequences(feature_dir(videos), videos='train')
    model = MODELS.build(
        dict(
            type='TemporalPhaseModel',
            tcn=dict(type='MultiStageTCN', in_channels=4, num_classes=7)))
    batch = pseudo_collate([dataset[0], dataset[1]])
    data = model.data_preprocessor(batch, True)
    assert data['mask'].sum(dim=1).tolist() == [6, 3]
    assert set(model(**data, mode='loss')) >= {'loss_cls_s3'}


def test_clear_errors(feature_dir, videos, tmp_path):
    with pytest.raises(FileNotFoundError, match='extract_features'):
        PhaseFeatureSequences(str(tmp_path / 'missing'))
    root = feature_dir(videos)
    with pytest.raises(KeyError, match='video99'):
        PhaseFeatureSequences(root, videos=['video01', 'video99'])
    with pytest.raises(ValueError, match="split 'val'"):
        PhaseFeatureSequences(root, videos='val')
    np.save(osp.join(root, 'video02.npy'), np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match='video02.npy'):
        PhaseFeatureSequences(root)[1]


def test_split_keyword_names_videos(tmp_path):
    with pytest.raises(TypeError, match="split='train'.*now called videos="):
        PhaseFeatureSequences(str(tmp_path), split='train')
