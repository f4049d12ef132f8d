"""Phase timeline ("ribbon") of one video: ground truth over prediction.

Three strips share a time axis (seconds for videos up to three minutes,
minutes beyond): the ground-truth phases, the predicted phases (one fixed
colour per phase name, the same in Cholec80 and M2CAI16 figures) and an
error strip that is black wherever the prediction is wrong (strict, frame by
frame). The title gives the strict accuracy and, when the caller has it, the
official relaxed one. Figures are drawn on matplotlib's Agg canvas without
pyplot, so no display or global backend state is involved.
"""
import os
from pathlib import Path
from typing import Optional, Sequence, Tuple, Union

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch

#: Fixed colour of every phase name (matplotlib's tab10 palette).
PHASE_COLORS = {
    'TrocarPlacement': '#bcbd22',
    'Preparation': '#1f77b4',
    'CalotTriangleDissection': '#ff7f0e',
    'ClippingCutting': '#2ca02c',
    'GallbladderDissection': '#d62728',
    'GallbladderPackaging': '#9467bd',
    'CleaningCoagulation': '#8c564b',
    'GallbladderRetraction': '#e377c2',
}
ERROR_COLOR = '#000000'
CORRECT_COLOR = '#ffffff'
#: Longest video (seconds) whose time axis is drawn in seconds.
SECONDS_AXIS_LIMIT = 180


def time_axis(num_frames: int, fps: float) -> Tuple[float, str]:
    """Length of the time axis and its label: seconds up to
    :data:`SECONDS_AXIS_LIMIT`, minutes beyond."""
    seconds = num_frames / fps
    if seconds <= SECONDS_AXIS_LIMIT:
        return seconds, 'time (s)'
    return seconds / 60, 'time (min)'


def save_figure(fig: Figure, out_file: Union[str, Path]) -> None:
    """Save ``fig`` as PNG via a hidden ``.<name>.partial`` file renamed on
    success, so a crash never leaves a truncated PNG under the final name."""
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_file.with_name(f'.{out_file.name}.partial')
    fig.savefig(tmp, format='png')
    os.replace(tmp, out_file)


def draw_phase_ribbon(gt: Optional[np.ndarray],
                      pred: np.ndarray,
                      phases: Sequence[str],
                      fps: float = 1.0,
                      title: Optional[str] = None,
                      relaxed_accuracy: Optional[float] = None) -> Figure:
    """Draw the ribbon of one video.

    Args:
        gt: Ground-truth phase ids, shape (T,); None for a video without
            annotation, drawn as the prediction strip alone.
        pred: Predicted phase ids, shape (T,).
        phases: Phase names in id order.
        fps: Sampling rate of the sequences (for the time axis).
        title: Figure title (e.g. the video and the method); the strict
            frame accuracy is appended.
        relaxed_accuracy: The video's official relaxed accuracy in percent
            (``evaluation.relaxed``), appended after the strict one.

    Returns:
        Figure: 10 x 3 inches at 120 dpi (10 x 2 without ground truth).
    """
    pred = np.asarray(pred)
    if gt is None:
        return _draw_prediction_ribbon(pred, phases, fps, title)
    gt = np.asarray(gt)
    if gt.shape != pred.shape or gt.ndim != 1:
        raise ValueError(f'Ribbon {title!r}: gt {gt.shape} and pred '
                         f'{pred.shape} must be 1-D of equal length.')
    palette = np.array([to_rgb(PHASE_COLORS[name]) for name in phases])
    wrong = gt != pred
    errors = np.where(wrong[:, None], to_rgb(ERROR_COLOR),
                      to_rgb(CORRECT_COLOR))
    image = np.stack([palette[gt], palette[pred], errors])

    fig = Figure(figsize=(10, 3), dpi=120, layout='constrained')
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    length, label = time_axis(gt.size, fps)
    ax.imshow(image, aspect='auto', interpolation='nearest',
              extent=(0, length, 3, 0))
    ax.set_yticks([0.5, 1.5, 2.5], ['Ground truth', 'Prediction', 'Errors'])
    for boundary in (1, 2):
        ax.axhline(boundary, color='white', linewidth=2)
    _finish(fig, ax, phases, label)
    accuracy = f'strict accuracy {100 * (1 - wrong.mean()):.1f}%'
    if relaxed_accuracy is not None:
        accuracy += f', relaxed {relaxed_accuracy:.1f}%'
    ax.set_title(f'{title}: {accuracy}' if title else accuracy)
    return fig


def _draw_prediction_ribbon(pred: np.ndarray, phases: Sequence[str],
                            fps: float, title: Optional[str]) -> Figure:
    if pred.ndim != 1:
        raise ValueError(f'Ribbon {title!r}: pred {pred.shape} must be 1-D.')
    palette = np.array([to_rgb(PHASE_COLORS[name]) for name in phases])
    fig = Figure(figsize=(10, 2), dpi=120, layout='constrained')
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    length, label = time_axis(pred.size, fps)
    ax.imshow(palette[pred][None], aspect='auto', interpolation='nearest',
              extent=(0, length, 1, 0))
    ax.set_yticks([0.5], ['Prediction'])
    _finish(fig, ax, phases, label)
    if title:
        ax.set_title(title)
    return fig


def _finish(fig: Figure, ax, phases: Sequence[str], time_label: str) -> None:
    """Time axis label and the phase legend under the strips."""
    ax.set_xlabel(time_label)
    fig.legend(handles=[
        Patch(color=PHASE_COLORS[name], label=name) for name in phases
    ], loc='outside lower center', ncol=4, fontsize='small', frameon=False)
