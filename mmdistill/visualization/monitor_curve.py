"""The phase k-NN monitor's curve from a run's logged scalars."""
import json
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Scalars :class:`~mmdistill.engine.hooks.PhaseKNNMonitorHook` logs (in %),
#: with their axis labels.
MONITOR_SCALARS = (('knn/accuracy', 'k-NN phase accuracy (%)'),
                   ('knn/macro_f1', 'k-NN phase macro F1 (%)'))


def read_monitor_scalars(
        scalars_file: Union[str, Path]) -> Dict[str, List[Tuple[int, float]]]:
    """``{scalar: [(epoch, value), ...]}`` of the monitor in a run's
    ``vis_data/scalars.json`` (one JSON object per line, mmengine's
    ``LocalVisBackend``), sorted by epoch; a later line of the same epoch
    (a resumed run) replaces an earlier one.

    Raises:
        ValueError: the file holds no monitor scalars, naming the file and
            how to turn the monitor on.
    """
    curves: Dict[str, Dict[int, float]] = {k: {} for k, _ in MONITOR_SCALARS}
    with open(scalars_file) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f'{scalars_file}:{number}: not a JSON '
                                 f'line ({err})') from err
            for key in curves:
                if key in record:
                    curves[key][int(record['step'])] = float(record[key])
    if not any(curves.values()):
        raise ValueError(
            f'{scalars_file} has no {" / ".join(curves)} scalars: train '
            f'with a PhaseKNNMonitorHook in custom_hooks (e.g. '
            f'configs/_base_/datasets/synthetic_knn_monitor.py) and pass '
            f'that run\'s vis_data/scalars.json.')
    return {key: sorted(points.items()) for key, points in curves.items()}


def draw_monitor_curve(curves: Dict[str, List[Tuple[int, float]]],
                       reference: Optional[Dict[str, float]] = None,
                       reference_label: str = 'reference',
                       title: Optional[str] = None) -> Figure:
    """One panel per monitor scalar against the epoch.

    Args:
        curves: :func:`read_monitor_scalars` of the run.
        reference: Optional constant per scalar (e.g. the teacher's monitor
            value), drawn as a dashed line.
        reference_label: Legend entry of ``reference``.
        title: Figure title.

    Returns:
        Figure: 8 x 3 inches at 100 dpi.
    """
    fig = Figure(figsize=(8, 3), dpi=100, layout='constrained')
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(MONITOR_SCALARS), squeeze=False)[0]
    for ax, (key, label) in zip(axes, MONITOR_SCALARS):
        points = curves.get(key, [])
        if points:
            epochs, values = zip(*points)
            ax.plot(epochs, values, marker='o', markersize=3, label='student')
        if reference and key in reference:
            ax.axhline(reference[key], color='gray', linestyle='--',
                       label=reference_label)
        ax.set_xlabel('epoch (0: before training)', fontsize=8)
        ax.set_ylabel(label, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    return fig
