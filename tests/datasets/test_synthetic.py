"""The synthetic surgical-video generator."""
import os
import os.path as osp

import decord
import numpy as np
import pytest

from mmdistill.datasets import (CHOLEC80_TOOLS, generate_synthetic_dataset,
                                read_phase_file, read_tool_file)
from mmdistill.datasets.phases import CHOLEC80_PHASES
from mmdistill.datasets.synthetic import (FrameRenderer, phase_per_frame,
                                          phase_segments, tool_presence)


def decode(path: str) -> np.ndarray:
    reader = decord.VideoReader(path)
    return reader.get_batch(list(range(len(reader)))).asnumpy()


def test_files_follow_the_cholec80_format(synthetic_raw_dir):
    for video in ('video01', 'video04'):
        reader = decord.VideoReader(
            osp.join(synthetic_raw_dir, 'videos', f'{video}.mp4'))
        assert reader.get_avg_fps() == 25
        assert reader[0].shape == (128, 160, 3)
        phase_path = osp.join(synthetic_raw_dir, 'phase_annotations',
                              f'{video}-phase.txt')
        assert open(phase_path).readline() == 'Frame\tPhase\n'
        phases = read_phase_file(phase_path, CHOLEC80_PHASES)
        assert len(phases) == len(reader)
        assert 36 * 25 <= len(reader) <= 44 * 25
        tools = read_tool_file(
            osp.join(synthetic_raw_dir, 'tool_annotations',
                     f'{video}-tool.txt'))
        assert tools.names == CHOLEC80_TOOLS
        assert tools.frames.tolist() == list(range(0, len(reader), 25))


@pytest.mark.parametrize('seed', range(50))
def test_phases_in_surgical_order_with_late_back_and_forth(seed):
    rng = np.random.default_rng(seed)
    segments = phase_segments(rng, 60., min_phase_seconds=3.)
    order = [phase for phase, _ in segments]
    assert sum(d for _, d in segments) == pytest.approx(60.)
    assert sorted(set(order)) == list(range(7))
    if len(order) == 7:
        assert order == list(range(7))
    else:  # one revisit: 4 5 4 5 6 or 5 6 5 6
        assert order in ([0, 1, 2, 3, 4, 5, 4, 5,
                          6], [0, 1, 2, 3, 4, 5, 6, 5, 6])
    for phase in range(7):
        total = sum(d for p, d in segments if p == phase)
        assert total >= 3. - 1e-9


def test_relative_durations_follow_cholec80():
    totals = np.zeros(7)
    revisits = 0
    for seed in range(200):
        segments = phase_segments(np.random.default_rng(seed), 100.)
        revisits += len(segments) > 7
        for phase, duration in segments:
            totals[phase] += duration / 200
    # Cholec80 means (s): 125 954 168 857 98 178 83; here 100 s with a 3 s
    # floor: 3 + 79 * share, e.g. calot 3 + 79 * 954 / 2463 = 33.6.
    expected = 3 + 79 * np.array([125, 954, 168, 857, 98, 178, 83]) / 2463
    assert totals == pytest.approx(expected, rel=0.15)
    assert 70 <= revisits <= 130  # backtrack_prob 0.5


def test_frame_labels_and_tools():
    # Ends at 1, 1.52 and 3.02 s: frames 25, 38 and 75.5 -> 76.
    labels = phase_per_frame([(0, 1.), (1, 0.52), (2, 1.5)], fps=25)
    assert np.bincount(labels).tolist() == [25, 13, 38]
    rng = np.random.default_rng(0)
    per_second = np.repeat(np.arange(7), 200)
    tools = tool_presence(rng, per_second)
    assert tools.shape == (1400, 7)
    bag = CHOLEC80_TOOLS.index('SpecimenBag')
    clipper = CHOLEC80_TOOLS.index('Clipper')
    # Bag only in packaging/retraction (and rarely cleaning), clipper mostly
    # while clipping.
    assert tools[per_second == 4, bag].mean() > 0.7
    assert tools[per_second <= 3, bag].sum() == 0
    assert tools[per_second == 2, clipper].mean() > 0.5
    assert tools[per_second == 3, clipper].mean() < 0.1


def test_deterministic_and_resumable(tmp_path):
    a, b, c = (str(tmp_path / name) for name in 'abc')
    kwargs = dict(num_videos=2, seconds=(21., 22.), size=(96, 80))
    generate_synthetic_dataset(a, seed=3, **kwargs)
    generate_synthetic_dataset(b, seed=3, **kwargs)
    generate_synthetic_dataset(c, seed=4, **kwargs)
    for folder, name in (('phase_annotations', 'video02-phase.txt'),
                         ('tool_annotations', 'video02-tool.txt')):
        assert open(osp.join(a, folder,
                             name)).read() == open(osp.join(b, folder,
                                                            name)).read()
    first = decode(osp.join(a, 'videos', 'video02.mp4'))
    assert np.array_equal(first, decode(osp.join(b, 'videos', 'video02.mp4')))
    other = decode(osp.join(c, 'videos', 'video02.mp4'))
    assert first.shape != other.shape or not np.array_equal(first, other)

    # Interrupted run: video02 missing, a half-written leftover in its place.
    kept = osp.join(a, 'videos', 'video01.mp4')
    mtime = os.stat(kept).st_mtime_ns
    os.remove(osp.join(a, 'videos', 'video02.mp4'))
    open(osp.join(a, 'videos', '.video02.partial.mp4'), 'wb').write(b'junk')
    generate_synthetic_dataset(a, seed=3, **kwargs)
    assert os.stat(kept).st_mtime_ns == mtime
    assert np.array_equal(first, decode(osp.join(a, 'videos', 'video02.mp4')))
    assert sorted(os.listdir(osp.join(
        a, 'videos'))) == ['video01.mp4', 'video02.mp4']


def test_circular_field_of_view_with_black_margins(synthetic_raw_dir):
    frames = decode(osp.join(synthetic_raw_dir, 'videos', 'video02.mp4'))
    grey = frames[::50].mean(axis=(0, 3))
    assert grey[:, :5].max() < 15 and grey[:, -5:].max() < 15
    assert grey[:5, :5].max() < 15 and grey[-5:, -5:].max() < 15
    assert grey[54:74, 70:90].min() > 40


def test_mean_colour_alone_does_not_tell_the_phase():
    """Nearest-centroid on mean colour, trained on 6 videos, tested on 3."""
    features, labels, videos = [], [], []
    for video in range(9):
        rng = np.random.default_rng([7, video])
        renderer = FrameRenderer(rng, 160, 128, 25)
        phases = np.repeat(np.arange(7), 6)
        tools = tool_presence(rng, phases)
        for second, phase in enumerate(phases):
            frame = renderer.frame(
                renderer.scene(phase, tools[second], second), second,
                second * 25)
            features.append(frame[:, 20:140].reshape(-1, 3).mean(0))
            labels.append(phase)
            videos.append(video)
    features, labels = np.array(features), np.array(labels)
    train = np.array(videos) < 6
    centroids = np.stack(
        [features[train & (labels == p)].mean(0) for p in range(7)])
    distances = ((features[~train, None] - centroids[None])**2).sum(-1)
    accuracy = (distances.argmin(1) == labels[~train]).mean()
    assert accuracy < 0.4  # chance is 1/7
