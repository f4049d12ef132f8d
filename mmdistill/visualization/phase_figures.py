"""The figures of a set of phase predictions: one ribbon per video and a
confusion matrix over all of them."""
from pathlib import Path
from typing import Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from .confusion import draw_confusion_matrix, phase_confusion_matrix
from .ribbon import draw_phase_ribbon, save_figure


def save_phase_figures(videos: Mapping[str, Tuple[np.ndarray, np.ndarray]],
                       phases: Sequence[str],
                       out_dir: Union[str, Path],
                       fps: float = 1.,
                       overwrite: bool = True,
                       method: Optional[str] = None,
                       relaxed_accuracy: Optional[Mapping[str, float]] = None
                       ) -> Path:
    """Write ``<video>_ribbon.png`` per video and ``confusion_matrix.png``.

    Args:
        videos: ``name -> (gt, pred)`` 0-based phase ids.
        phases: Phase names, in id order.
        out_dir: Output folder (created if needed).
        fps: Frames per second of the sequences (the time axis).
        overwrite: Redraw ribbons that exist; with False an interrupted run
            resumes where it stopped. The confusion matrix is always drawn.
        method: The model's name, in every title.
        relaxed_accuracy: ``name -> official relaxed accuracy`` (percent),
            shown next to each ribbon's strict accuracy.

    Returns:
        Path: ``out_dir``. Every PNG is written atomically.
    """
    out_dir = Path(out_dir)
    relaxed_accuracy = relaxed_accuracy or {}
    for name, (gt, pred) in videos.items():
        ribbon = out_dir / f'{name}_ribbon.png'
        if overwrite or not ribbon.exists():
            title = f'{name} ({method})' if method else name
            save_figure(
                draw_phase_ribbon(gt, pred, phases, fps, title,
                                  relaxed_accuracy.get(name)), ribbon)
    counts = sum(
        phase_confusion_matrix(gt, pred, len(phases))
        for gt, pred in videos.values())
    save_figure(draw_confusion_matrix(counts, phases, method, len(videos)),
                out_dir / 'confusion_matrix.png')
    return out_dir
