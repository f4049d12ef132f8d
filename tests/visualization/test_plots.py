"""Confusion matrices, ribbons and the figures of label-file folders."""

import numpy as np
import pytest
from PIL import Image

from mmdistill.datasets.phases import get_phases
from mmdistill.evaluation import (LabelFileError, read_label_dirs,
                                  write_label_file)
from mmdistill.visualization import (PHASE_COLORS, draw_confusion_matrix,
                                     draw_phase_ribbon,
                                     normalize_rows, phase_confusion_matrix,
                                     save_figure, save_phase_figures)


def test_confusion_matrix_by_hand():
    gt = np.array([0, 0, 0, 1, 1, 2])
    pred = np.array([0, 1, 1, 1, 1, 0])
    counts = phase_confusion_matrix(gt, pred, 4)
    np.testing.assert_array_equal(
        counts, [[1, 2, 0, 0], [0, 2, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]])
    rates = normalize_rows(counts)
    np.testing.assert_allclose(rates[:3],
                               [[1 / 3, 2 / 3, 0, 0], [0, 1, 0, 0],
                                [1, 0, 0, 0]])
    assert np.isnan(rates[3]).all()


def test_every_phase_has_its_own_colour():
    names = get_phases('m2cai16')
    assert set(PHASE_COLORS) == set(names)
    assert len(set(PHASE_COLORS.values())) == len(names)


def test_ribbon_pixels(tmp_path):
    # 10 frames of Preparation; the prediction is wrong on the second half.
    gt = np.zeros(10, int)
    pred = np.array([0] * 5 + [1] * 5)
    path = tmp_path / 'ribbon.png'
    save_figure(draw_phase_ribbon(gt, pred, get_phases('cholec80')), path)
    with Image.open(path) as image:
        assert image.size == (1200, 360)
        rgb = np.asarray(image.convert('RGB'))
    # Somewhere the plot shows Preparation blue, Calot orange and black.
    colours = {tuple(c) for c in rgb.reshape(-1, 3)}
    assert {(31, 119, 180), (255, 127, 14), (0, 0, 0)} <= colours
    assert [p.name for p in tmp_path.iterdir()] == ['ribbon.png']


def test_plot_phases_tool(tmp_path):
    gt_dir, pred_dir, out_dir = (tmp_path / d for d in ('gt', 'pred', 'out'))
    write_label_file(gt_dir / 'v1.txt', [0, 0, 1, 1, 2], 'cholec80')
    write_label_file(pred_dir / 'v1.txt', [0, 1, 1, 1, 2], 'cholec80')
    write_label_file(gt_dir / 'v2.txt', [0, 3, 3], 'cholec80')
    write_label_file(pred_dir / 'v2_pred.txt', [0, 3, 4], 'cholec80')
    out_dir.mkdir()
    (out_dir / 'v1_ribbon.png').write_bytes(b'kept')
    save_phase_figures(read_label_dirs(gt_dir, pred_dir, 'cholec80'),
                       get_phases('cholec80'), out_dir, overwrite=False)
    assert sorted(p.name for p in out_dir.iterdir()) == [
        'confusion_matrix.png', 'v1_ribbon.png', 'v2_ribbon.png'
    ]
    # Resumable: an existing ribbon is kept unless overwrite.
    assert (out_dir / 'v1_ribbon.png').read_bytes() == b'kept'
    with Image.open(out_dir / 'confusion_matrix.png') as image:
        assert image.size[0] >= 700 and image.size[1] >= 600
    save_phase_figures(read_label_dirs(gt_dir, pred_dir, 'cholec80'),
                       get_phases('cholec80'), out_dir, overwrite=True)
    assert (out_dir / 'v1_ribbon.png').read_bytes()[:4] == b'\x89PNG'


def test_plot_phases_reports_bad_files(tmp_path):
    (tmp_path / 'v1.txt').write_text('Frame\tPhase\n0\tPreparation\n')
    (tmp_path / 'v1_pred.txt').write_text('Frame\tPhase\n0\tLunch\n')
    with pytest.raises(LabelFileError,
                       match=r"v1_pred.txt:2: unknown phase"):
        read_label_dirs(tmp_path, tmp_path, 'cholec80')


@pytest.mark.parametrize('frames, fps, label, length', [
    (120, 1., 'time (s)', 120.),
    (180, 1., 'time (s)', 180.),
    (181, 1., 'time (min)', 181 / 60),
    (900, 5., 'time (s)', 180.),
    (2700, 1., 'time (min)', 45.),
])
def test_ribbon_time_axis_unit_follows_the_duration(frames, fps, label,
                                                     length):
    pred = np.zeros(frames, int)
    for gt in (pred, None):
        ax = draw_phase_ribbon(gt, pred, get_phases('cholec80'), fps).axes[0]
        assert ax.get_xlabel() == label
        assert ax.get_images()[0].get_extent()[1] == pytest.approx(length)


def test_ribbon_title_names_video_method_and_both_accuracies():
    gt = np.zeros(8, int)
    pred = np.array([0] * 6 + [1] * 2)
    fig = draw_phase_ribbon(gt, pred, get_phases('cholec80'), 1.,
                            'video41 (dsl-mocov2)', relaxed_accuracy=87.5)
    assert fig.axes[0].get_title() == (
        'video41 (dsl-mocov2): strict accuracy 75.0%, relaxed 87.5%')


def test_confusion_colour_bar_in_percent_and_title():
    counts = np.array([[3, 1], [0, 4]])
    fig = draw_confusion_matrix(counts, ['Preparation', 'ClippingCutting'],
                                'mocov2, 100% labels', 2)
    ax, bar = fig.axes
    assert ax.get_title() == ('mocov2, 100% labels: Phase confusion (% of '
                              'ground-truth frames), 2 videos')
    assert ax.get_images()[0].get_clim() == (0, 100)
    assert bar.get_ylabel() == '% of ground-truth frames'
    assert [t.get_text() for t in ax.texts] == ['75', '25', '0', '100']
    fig.canvas.draw()
    assert bar.yaxis.get_major_formatter()(50, 0) == '50%'


def test_figures_of_label_folders_carry_method_and_relaxed_accuracy(
        tmp_path, monkeypatch):
    """save_phase_figures passes the method and each video's relaxed
    accuracy to the ribbons and the video count to the confusion matrix."""
    import mmdistill.visualization.phase_figures as figures
    titles = []
    monkeypatch.setattr(
        figures, 'save_figure',
        lambda fig, path: titles.append((path.name, fig.axes[0].get_title())))
    videos = {'v1': (np.zeros(4, int), np.array([0, 0, 0, 1])),
              'v2': (np.zeros(2, int), np.zeros(2, int))}
    figures.save_phase_figures(videos, get_phases('cholec80'), tmp_path,
                               method='spt', relaxed_accuracy={'v1': 100.})
    assert titles == [
        ('v1_ribbon.png', 'v1 (spt): strict accuracy 75.0%, relaxed 100.0%'),
        ('v2_ribbon.png', 'v2 (spt): strict accuracy 100.0%'),
        ('confusion_matrix.png', 'spt: Phase confusion (% of ground-truth '
         'frames), 2 videos'),
    ]
