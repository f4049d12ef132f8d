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
                          title: Optional[str] = None) -> Figure:
    """Draw the row-normalised confusion matrix with percentages.

    Args:
        counts: Frame counts from :func:`phase_confusion_matrix`.
        phases: Phase names in id order.
        title: Figure title.

    Returns:
        Figure: 7.5 x 6.5 inches at 120 dpi.
    """
    rates = normalize_rows(counts)
    fig = Figure(figsize=(7.5, 6.5), dpi=120, layout='constrained')
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    image = ax.imshow(rates, cmap='Blues', vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, label='share of ground-truth frames')
    for (row, col), rate in np.ndenumerate(rates):
        if not np.isnan(rate):
            ax.text(col, row, f'{100 * rate:.0f}', ha='center', va='center',
                    fontsize='small',
                    color='white' if rate > 0.5 else 'black')
    ticks = np.arange(len(phases))
    ax.set_xticks(ticks, phases, rotation=45, ha='right')
    ax.set_yticks(ticks, phases)
    ax.set_xlabel('Prediction')
    ax.set_ylabel('Ground truth')
    ax.set_title(title or 'Phase confusion (% of ground-truth frames)')
    return fig
