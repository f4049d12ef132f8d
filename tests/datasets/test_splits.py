"""Named splits and seeded low-data subsets."""
import pytest

from mmdistill.datasets import low_data_subset, resolve_split, split_names
from mmdistill.datasets.splits import subset_size

CHOLEC80 = [f'video{i:02d}' for i in range(1, 81)]
M2CAI16 = ([f'workflow_video_{i:02d}' for i in range(1, 28)] +
           [f'test_workflow_video_{i:02d}' for i in range(1, 15)])


def test_cholec80_schemes():
    train = resolve_split('cholec80_40_8_32', 'train', CHOLEC80)
    val = resolve_split('cholec80_40_8_32', 'val', CHOLEC80)
    test = resolve_split('cholec80_40_8_32', 'test', CHOLEC80)
    assert (train[0], train[-1], len(train)) == ('video01', 'video40', 40)
    assert (val[0], val[-1], len(val)) == ('video41', 'video48', 8)
    assert (test[0], test[-1], len(test)) == ('video49', 'video80', 32)
    assert resolve_split('cholec80_40_40', 'train', CHOLEC80) == train
    assert resolve_split('cholec80_40_40', 'test', CHOLEC80) == val + test
    assert split_names('cholec80_40_40') == ('train', 'test')


def test_m2cai16_scheme():
    train = resolve_split('m2cai16_27_14', 'train', M2CAI16)
    test = resolve_split('m2cai16_27_14', 'test', M2CAI16)
    assert (len(train), train[0], train[-1]) == (27, 'workflow_video_01',
                                                 'workflow_video_27')
    assert (len(test), test[0], test[-1]) == (14, 'test_workflow_video_01',
                                              'test_workflow_video_14')


@pytest.mark.parametrize('num, sizes', [(3, (2, 1, 0)), (4, (2, 1, 1)),
                                        (6, (3, 1, 2)), (10, (5, 1, 4)),
                                        (80, (40, 8, 32))])
def test_synthetic_scheme_uses_cholec80_proportions(num, sizes):
    videos = [f'video{i:02d}' for i in range(num, 0, -1)]  # unsorted input
    parts = [
        resolve_split('synthetic', s, videos) for s in split_names('synthetic')
    ]
    assert tuple(map(len, parts)) == sizes
    assert sum(parts, []) == sorted(videos)


def test_all_scheme():
    assert resolve_split('all', 'all', ['b', 'a']) == ['a', 'b']


def test_split_errors_say_what_to_do():
    with pytest.raises(ValueError, match="has splits \\['train', 'test'\\]"):
        resolve_split('cholec80_40_40', 'val', CHOLEC80)
    with pytest.raises(ValueError, match='Unknown split_scheme'):
        resolve_split('cholec81', 'train', CHOLEC80)
    with pytest.raises(ValueError, match="not prepared: \\['video40'\\]"):
        resolve_split('cholec80_40_8_32', 'train', CHOLEC80[:39])
    with pytest.raises(ValueError, match='at least 3 prepared videos'):
        resolve_split('synthetic', 'train', ['video01', 'video02'])


@pytest.mark.parametrize(
    'count, fraction, expected',
    [
        (None, 0.125, 5),  # the paper's 12.5 % of 40
        (None, 0.25, 10),
        (None, 0.0625, 3),  # 2.5 rounds half up
        (None, 0.001, 1),  # at least one video
        (7, None, 7),
    ])
def test_subset_size(count, fraction, expected):
    assert subset_size(40, count, fraction) == expected


@pytest.mark.parametrize('count, fraction', [(None, None), (5, 0.1), (0, None),
                                             (41, None), (None, 1.5)])
def test_subset_size_errors(count, fraction):
    with pytest.raises(ValueError):
        subset_size(40, count, fraction)


def test_published_low_data_subsets_never_change():
    """These lists are part of reported results; they must stay fixed."""
    train = CHOLEC80[:40]
    assert low_data_subset(
        train, num_videos=5,
        seed=0) == ['video02', 'video05', 'video14', 'video24', 'video26']
    assert low_data_subset(
        train, fraction=0.25, seed=0) == [
            'video02', 'video05', 'video07', 'video14', 'video24', 'video26',
            'video36', 'video37', 'video38', 'video40'
        ]
    assert low_data_subset(
        train, num_videos=5,
        seed=1) == ['video09', 'video21', 'video23', 'video26', 'video27']


def test_low_data_subsets_are_nested_and_seeded():
    train = CHOLEC80[:40]
    for seed in range(3):
        small = low_data_subset(train, num_videos=5, seed=seed)
        large = low_data_subset(train, num_videos=10, seed=seed)
        assert set(small) < set(large)
        assert small == sorted(small)
    seeds = {
        tuple(low_data_subset(train, num_videos=5, seed=s))
        for s in range(5)
    }
    assert len(seeds) == 5
    # The subset depends on the video ids, not on their order.
    assert low_data_subset(
        train[::-1], num_videos=5,
        seed=0) == ['video26', 'video24', 'video14', 'video05', 'video02']
