"""Figures for surgical phase recognition: timelines and confusion matrices."""
from .confusion import (draw_confusion_matrix, normalize_rows,
                        phase_confusion_matrix)
from .overlay import draw_phase_overlay, write_overlay_video
from .ribbon import PHASE_COLORS, draw_phase_ribbon, save_figure

__all__ = [
    'PHASE_COLORS', 'draw_confusion_matrix', 'draw_phase_ribbon',
    'draw_phase_overlay', 'normalize_rows', 'phase_confusion_matrix',
    'save_figure', 'write_overlay_video'
]
