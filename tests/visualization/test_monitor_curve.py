import json

import numpy as np
import pytest

from mmdistill.visualization import draw_monitor_curve, read_monitor_scalars


def _write(path, records):
    path.write_text(''.join(json.dumps(r) + '\n' for r in records))
    return path


def test_reads_monitor_scalars_by_epoch(tmp_path):
    path = _write(tmp_path / 'scalars.json', [
        {'knn/accuracy': 50., 'knn/macro_f1': 20., 'step': 0},
        {'loss': 3.0, 'lr': 0.1, 'step': 5},
        {'knn/accuracy': 55., 'knn/macro_f1': 25., 'step': 2},
        {'knn/accuracy': 52., 'knn/macro_f1': 21., 'step': 1},
        # a resumed run logs epoch 2 again: the later value counts
        {'knn/accuracy': 60., 'knn/macro_f1': 30., 'step': 2},
    ])
    curves = read_monitor_scalars(path)
    assert curves == {
        'knn/accuracy': [(0, 50.), (1, 52.), (2, 60.)],
        'knn/macro_f1': [(0, 20.), (1, 21.), (2, 30.)],
    }
    fig = draw_monitor_curve(curves, reference={'knn/accuracy': 80.})
    accuracy, f1 = fig.axes
    student, teacher = accuracy.get_lines()
    np.testing.assert_array_equal(student.get_xdata(), [0, 1, 2])
    np.testing.assert_array_equal(student.get_ydata(), [50., 52., 60.])
    np.testing.assert_array_equal(teacher.get_ydata(), [80., 80.])
    np.testing.assert_array_equal(f1.get_lines()[0].get_ydata(),
                                  [20., 21., 30.])


def test_run_without_monitor_is_a_clear_error(tmp_path):
    path = _write(tmp_path / 'scalars.json', [{'loss': 1.0, 'step': 1}])
    with pytest.raises(ValueError, match='PhaseKNNMonitorHook'):
        read_monitor_scalars(path)
