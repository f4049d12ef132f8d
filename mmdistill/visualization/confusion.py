"""Row-normalised phase confusion matrix.

Rows are ground-truth phases, columns predicted phases; each row is divided
by its number of ground-truth frames, so the diagonal is the per-phase
(unrelaxed) recall. Rows of phases absent from the ground truth stay blank.
"""
from typing import Optional, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def phase_confusion_matrix(gt: np.ndarray, pred: np.ndarray,
                           num_phases: int) -> np.ndarray:
    """Frame counts ``[gt phase, predicted phase]``, shape (P, P)."""
    gt = np.asarray(gt, dtype=np.int64).ravel()
    pred = np.asarray(pred, dtype=np.int64).ravel()
    if gt.shape != pred.shape:
        raise ValueError(f'{gt.size} ground-truth but {pred.size} predicted '
                         'frames.')
    return np.bincount(gt * num_phases + pred,
                       minlength=num_phases**2).reshape(
                           num_phases, num_phases)


def normalize_rows(counts: np.ndarray) -> np.ndarray:
    """Divide each row by its sum; rows summing to 0 become NaN."""
    counts = np.asarray(counts, dtype=np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    out = np.full(counts.shape, np.nan)
    np.divide(counts, totals, out=out, where=totals > 0)
    return out


def draw_confusion_matrix(counts: np.ndarray,
                          phases: Sequence[str],
                          method: Optional[str] = None,
                          num_videos: Optional[int] = None) -> Figure:
    """Draw the row-normalised confusion matrix in percent.

    The cells and the colour bar are both in % of the row's ground-truth
    frames; the title names the model and the number of videos counted.

    Args:
        counts: Frame counts from :func:`phase_confusion_matrix`.
        phases: Phase names in id order.
        method: The model's name, for the title.
        num_videos: Number of videos summed into ``counts``, for the title.

    Returns:
        Figure: 7.5 x 6.5 inches at 120 dpi.
    """
    percent = 100 * normalize_rows(counts)
    fig = Figure(figsize=(7.5, 6.5), dpi=120, layout='constrained')
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    image = ax.imshow(percent, cmap='Blues', vmin=0, vmax=100)
    fig.colorbar(image, ax=ax, label='% of ground-truth frames',
                 format='%.0f%%')
    for (row, col), value in np.ndenumerate(percent):
        if not np.isnan(value):
            ax.text(col, row, f'{value:.0f}', ha='center', va='center',
                    fontsize='small',
                    color='white' if value > 50 else 'black')
    ticks = np.arange(len(phases))
    ax.set_xticks(ticks, phases, rotation=45, ha='right')
    ax.set_yticks(ticks, phases)
    ax.set_xlabel('Prediction')
    ax.set_ylabel('Ground truth')
    title = 'Phase confusion (% of ground-truth frames)'
    if method:
        title = f'{method}: {title}'
    if num_videos is not None:
        title += f', {num_videos} video{"s" if num_videos != 1 else ""}'
    ax.set_title(title)
    return fig
