"""Official annotation parsing and frame sampling (raw side)."""
import numpy as np
import pytest

from mmdistill.datasets import (SurgicalDataError, read_phase_file,
                                read_tool_file)
from mmdistill.datasets.phases import get_phases
from mmdistill.datasets.raw_annotations import (sample_tools,
                                               sampled_frame_indices)

PHASES = get_phases('cholec80')


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_phase_file_with_and_without_header(tmp_path):
    rows = '0\tPreparation\n1\tPreparation\n2\tCalotTriangleDissection\n'
    expected = [0, 0, 1]
    with_header = write(tmp_path, 'a.txt', 'Frame\tPhase\n' + rows)
    without = write(tmp_path, 'b.txt', rows.replace('\t', ' ') + '\n\n')
    assert read_phase_file(with_header, PHASES).tolist() == expected
    assert read_phase_file(without, PHASES).tolist() == expected


def test_m2cai16_vocabulary_shifts_ids(tmp_path):
    path = write(tmp_path, 'w.txt',
                 'Frame\tPhase\n0\tTrocarPlacement\n1\tPreparation\n')
    assert read_phase_file(path, get_phases('m2cai16')).tolist() == [0, 1]


@pytest.mark.parametrize('text, message', [
    ('Frame\tPhase\n0\tPreparation\n1\tTrocarPlacement\n',
     "line 3: unknown phase 'TrocarPlacement'"),
    ('Frame\tPhase\n0\tPreparation\n2\tPreparation\n',
     'line 3: frame 2 where frame 1 was expected'),
    ('Frame\tPhase\n1\tPreparation\n', 'line 2: frame 1 where frame 0'),
    ('Frame\tPhase\n0\tPreparation extra\n', 'line 2: expected'),
    ('Frame\tPhase\n', 'has a header but no rows'),
    ('Frame\tPhaze\n0\tPreparation\n',
     'line 1: expected the header "Frame<TAB>Phase".*\'Frame Phaze\''),
    ('Phase\tFrame\n0\tPreparation\n',
     'line 1: expected the header "Frame<TAB>Phase"'),
    ('\n\n', 'empty phase annotation file'),
])
def test_bad_phase_file_names_file_and_line(tmp_path, text, message):
    path = write(tmp_path, 'video07-phase.txt', text)
    with pytest.raises(SurgicalDataError, match=message) as info:
        read_phase_file(path, PHASES)
    assert str(info.value).startswith(path)


def test_missing_phase_file(tmp_path):
    with pytest.raises(SurgicalDataError, match='missing phase annotation'):
        read_phase_file(str(tmp_path / 'video01-phase.txt'), PHASES)


def test_tool_file(tmp_path):
    path = write(tmp_path, 't.txt', 'Frame\tGrasper\tHook\n0\t1\t0\n'
                 '25\t0\t1\n50\t1\t1\n')
    tools = read_tool_file(path)
    assert tools.names == ('Grasper', 'Hook')
    assert tools.frames.tolist() == [0, 25, 50]
    assert tools.presence.tolist() == [[1, 0], [0, 1], [1, 1]]


@pytest.mark.parametrize('text, message', [
    ('0\t1\t0\n', 'line 1: expected a header'),
    ('Frame\tGrasper\n0\t2\n', 'tool values must be 0 or 1'),
    ('Frame\tGrasper\n25\t1\n0\t1\n', 'frame numbers must increase'),
    ('Frame\tGrasper\tHook\n0\t1\n', 'line 2: expected 3 integers'),
])
def test_bad_tool_file(tmp_path, text, message):
    path = write(tmp_path, 'video01-tool.txt', text)
    with pytest.raises(SurgicalDataError, match=message):
        read_tool_file(path)


@pytest.mark.parametrize(
    'num_frames, native_fps, fps, expected',
    [
        (100, 25, 1, [0, 25, 50, 75]),
        (101, 25, 1, [0, 25, 50, 75, 100]),
        (12, 25, 5, [0, 5, 10]),
        (61, 30, 2, [0, 15, 30, 45, 60]),
        # k * 29.97 rounded: 0, 29.97, 59.94, 89.91
        (100, 29.97, 1, [0, 30, 60, 90]),
    ])
def test_sampled_frame_indices(num_frames, native_fps, fps, expected):
    assert sampled_frame_indices(num_frames, native_fps,
                                 fps).tolist() == expected


def test_sampling_faster_than_the_video_is_refused():
    with pytest.raises(ValueError, match='fps must be in'):
        sampled_frame_indices(100, 25, 30)


def test_sample_tools_holds_the_latest_row(tmp_path):
    path = write(tmp_path, 't.txt', 'Frame\tGrasper\n0\t1\n25\t0\n50\t1\n')
    tools = read_tool_file(path)
    indices = np.array([0, 5, 24, 25, 49, 50, 60])
    assert sample_tools(
        tools, indices, max_gap=24)[:, 0].tolist() == [1, 1, 1, 0, 0, 1, 1]
    with pytest.raises(ValueError, match='last tool row is frame 50'):
        sample_tools(tools, np.array([0, 80]), max_gap=24)
