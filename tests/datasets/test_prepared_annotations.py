"""The unified per-frame TSV of prepared videos."""
import numpy as np
import pytest

from mmdistill.datasets import (FrameAnnotation, SurgicalDataError,
                                read_frame_annotation, write_frame_annotation)


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_unified_round_trip(tmp_path):
    path = str(tmp_path / 'video01.tsv')
    annotation = FrameAnnotation(
        np.array([0, 0, 3]), np.array([[1, 0], [0, 0], [1, 1]]),
        ('Grasper', 'Hook'))
    write_frame_annotation(path, annotation)
    assert open(path).read() == ('frame\tphase\tGrasper\tHook\n'
                                 '0\t0\t1\t0\n1\t0\t0\t0\n2\t3\t1\t1\n')
    back = read_frame_annotation(path, num_phases=7)
    assert back.phases.tolist() == [0, 0, 3]
    assert back.tools.tolist() == [[1, 0], [0, 0], [1, 1]]
    assert back.tool_names == ('Grasper', 'Hook')

    write_frame_annotation(path, FrameAnnotation(np.array([6, 5])))
    assert open(path).read() == 'frame\tphase\n0\t6\n1\t5\n'
    assert read_frame_annotation(path).tools is None


@pytest.mark.parametrize('text, message', [
    ('k\tphase\n0\t0\n', 'expected header'),
    ('frame\tphase\n1\t0\n', 'line 2: frame 1 where 0 was expected'),
    ('frame\tphase\n0\t7\n', r'phase ids must lie in \[0, 7\)'),
    ('frame\tphase\n0\tx\n', 'line 2: expected 2 integers'),
])
def test_bad_unified_file(tmp_path, text, message):
    path = write(tmp_path, 'video01.tsv', text)
    with pytest.raises(SurgicalDataError, match=message):
        read_frame_annotation(path, num_phases=7)
