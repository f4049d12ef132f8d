"""SurgicalFrames and SurgicalPhaseFrames over the prepared synthetic data."""
import os.path as osp
import shutil

import pytest
from mmaction.registry import DATASETS as MMACTION_DATASETS
from mmengine.logging import MMLogger

from mmdistill.datasets import (LowDataSubset, SurgicalDataError,
                                SurgicalFrames, SurgicalPhaseFrames,
                                load_meta, low_data_subset,
                                read_frame_annotation)
from mmdistill.datasets.phases import CHOLEC80_PHASES
from mmdistill.registry import DATASETS


@pytest.fixture(scope='module')
def counts(synthetic_data_root) -> dict:
    meta = load_meta(synthetic_data_root)
    return {v: e['num_frames'] for v, e in meta['videos'].items()}


def test_unlabelled_frames(synthetic_data_root, counts):
    dataset = SurgicalFrames(synthetic_data_root)
    assert dataset.videos == ['video01', 'video02', 'video03', 'video04']
    assert len(dataset) == sum(counts.values())
    first = dataset.get_data_info(0)
    assert first['img_path'] == osp.join(synthetic_data_root, 'frames',
                                         'video01', '000000.jpg')
    assert (first['video'], first['frame']) == ('video01', 0)
    last = dataset.get_data_info(len(dataset) - 1)
    assert (last['video'], last['frame']) == ('video04', counts['video04'] - 1)
    assert dataset.metainfo['fps'] == 1


def test_unlabelled_split_rate_and_pipeline(synthetic_data_root, counts):
    train = SurgicalFrames(
        synthetic_data_root,
        videos='train',
        split_scheme='synthetic',
        sample_every=3,
        pipeline=[dict(type='LoadImageFromFile')])
    assert train.videos == ['video01', 'video02']
    frames = [train.get_data_info(i)['frame'] for i in range(len(train))]
    expected = list(range(0, counts['video01'], 3)) + list(
        range(0, counts['video02'], 3))
    assert frames == expected
    assert train[0]['img'].shape == (64, 64, 3)
    assert train.metainfo['fps'] == pytest.approx(1 / 3)
    by_rate = SurgicalFrames(
        synthetic_data_root, videos=['video02', 'video01'], fps=1 / 3)
    assert len(by_rate) == len(train)
    assert by_rate.get_data_info(0)['video'] == 'video02'
    # sample_every given over a base config's fps=1 wins.
    overridden = SurgicalFrames(
        synthetic_data_root, videos=['video01', 'video02'], fps=1,
        sample_every=3)
    assert [overridden.get_data_info(i)['frame']
            for i in range(len(overridden))] == expected


@pytest.mark.parametrize('kwargs, error, message', [
    (dict(fps=0.4), ValueError, 'divided by an integer'),
    (dict(fps=2), ValueError, 'divided by an integer'),
    (dict(sample_every=0), ValueError, 'sample_every must be >= 1'),
    (dict(videos=['video01', 'video09']), SurgicalDataError,
     r"videos \['video09'\] were not prepared"),
    (dict(videos='train', split_scheme='cholec80_40_40'), SurgicalDataError,
     'needs videos that were not prepared'),
])
def test_unlabelled_errors(synthetic_data_root, kwargs, error, message):
    with pytest.raises(error, match=message):
        SurgicalFrames(synthetic_data_root, **kwargs)


def test_labelled_splits(synthetic_data_root, counts):
    splits = {
        split:
        SurgicalPhaseFrames(
            synthetic_data_root, videos=split, split_scheme='synthetic')
        for split in ('train', 'val', 'test')
    }
    assert splits['train'].videos == ['video01', 'video02']
    assert splits['val'].videos == ['video03']
    assert splits['test'].videos == ['video04']
    test = splits['test']
    assert test.CLASSES == CHOLEC80_PHASES
    assert test.metainfo['dataset'] == 'cholec80'
    labels = read_frame_annotation(
        osp.join(synthetic_data_root, 'annotations', 'video04.tsv')).phases
    assert test.get_gt_labels().tolist() == labels.tolist()
    assert [test.get_data_info(i)['frame']
            for i in range(len(test))] == list(range(counts['video04']))
    assert {test.get_data_info(i)['video']
            for i in range(len(test))} == {'video04'}


def test_labelled_dataset_in_both_registries(synthetic_data_root):
    cfg = dict(
        type='SurgicalPhaseFrames',
        data_root=synthetic_data_root,
        videos='all',
        split_scheme='all',
        sample_every=5)
    assert MMACTION_DATASETS.get('SurgicalPhaseFrames') is SurgicalPhaseFrames
    assert isinstance(DATASETS.build(cfg), SurgicalPhaseFrames)
    frames = DATASETS.build(
        dict(type='SurgicalFrames', data_root=synthetic_data_root))
    assert isinstance(frames, SurgicalFrames)


def test_low_data_subset_is_logged_and_returned(synthetic_data_root,
                                                 tmp_path):
    logger = MMLogger.get_instance(
        'low_data_test', log_file=str(tmp_path / 'run.log'))
    dataset = SurgicalPhaseFrames(
        synthetic_data_root,
        videos='all',
        split_scheme='all',
        num_videos=2,
        low_data_seed=1)
    pool = ['video01', 'video02', 'video03', 'video04']
    assert dataset.low_data == LowDataSubset(
        selection='all',
        split_scheme='all',
        pool=pool,
        videos=low_data_subset(pool, num_videos=2, seed=1),
        num_videos=2,
        fraction=None,
        seed=1)
    assert dataset.videos == dataset.low_data.videos
    with open(logger.log_file) as f:
        assert f'2 of 4 videos: {dataset.videos}' in f.read()
    assert list(tmp_path.iterdir()) == [tmp_path / 'run.log']

    again = SurgicalPhaseFrames(
        synthetic_data_root,
        videos='all',
        split_scheme='all',
        fraction=0.5,
        low_data_seed=1)
    assert again.videos == dataset.videos
    assert SurgicalPhaseFrames(
        synthetic_data_root, videos='all',
        split_scheme='all').low_data is None
    other_seeds = {
        tuple(
            SurgicalPhaseFrames(
                synthetic_data_root,
                videos='all',
                split_scheme='all',
                num_videos=2,
                low_data_seed=seed).videos)
        for seed in range(6)
    }
    assert len(other_seeds) > 1


@pytest.mark.parametrize('old, new', [('split', 'videos'),
                                      ('split_seed', 'low_data_seed')])
def test_renamed_keywords_name_the_new_one(synthetic_data_root, old, new):
    with pytest.raises(TypeError, match=f'{old}=.*now called {new}='):
        SurgicalPhaseFrames(synthetic_data_root, **{old: 'train'})
    with pytest.raises(TypeError, match=f'now called {new}='):
        SurgicalFrames(synthetic_data_root, **{old: 'train'})


def test_labelled_annotation_must_match_meta(synthetic_data_root, tmp_path):
    root = str(tmp_path / 'copy')
    shutil.copytree(synthetic_data_root, root)
    tsv = osp.join(root, 'annotations', 'video03.tsv')
    with open(tsv) as f:
        rows = f.read().splitlines()
    with open(tsv, 'w') as f:
        f.write('\n'.join(rows[:-1]) + '\n')
    with pytest.raises(
            SurgicalDataError,
            match=f'{tsv}: {len(rows) - 2} '
            'rows but meta.json lists'):
        SurgicalPhaseFrames(root, videos='val', split_scheme='synthetic')
