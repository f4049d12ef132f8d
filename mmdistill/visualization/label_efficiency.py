"""Label-efficiency plot: each metric against the share of labelled videos."""
from typing import Dict, List, Sequence, Tuple

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: ``(label percent, value, CI low, CI high)`` of one method at one fraction.
Point = Tuple[float, float, float, float]


def draw_label_efficiency(panels: Dict[str, Dict[str, Sequence[Point]]],
                          columns: int = 5) -> Figure:
    """One panel per metric, one line per method with its CI band.

    Args:
        panels: ``{panel title: {method: points}}``, points in any order.
        columns: Panels per row.

    Returns:
        Figure: 3 x 2.6 inches per panel at 100 dpi, label percent on a
        logarithmic axis (fractions halve: 100, 50, 25, 12.5).
    """
    rows = -(-len(panels) // columns)
    cols = min(columns, len(panels))
    fig = Figure(figsize=(3 * cols, 2.6 * rows), dpi=100, layout='constrained')
    FigureCanvasAgg(fig)
    axes: List = list(np.ravel(fig.subplots(rows, cols, squeeze=False)))
    for ax, (title, methods) in zip(axes, panels.items()):
        ticks = set()
        for method, points in methods.items():
            x, y, low, high = (np.array(v, dtype=float)
                               for v in zip(*sorted(points)))
            line, = ax.plot(x, y, marker='o', label=method)
            ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2)
            ticks.update(x.tolist())
        ax.set_xscale('log')
        ax.set_xticks(sorted(ticks), [f'{t:g}' for t in sorted(ticks)])
        ax.minorticks_off()
        ax.set_title(title, fontsize=9)
        ax.set_xlabel('labelled videos (%)', fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in axes[len(panels):]:
        ax.set_axis_off()
    axes[0].legend(fontsize=7)
    return fig
