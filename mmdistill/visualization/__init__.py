"""Figures for surgical phase recognition: timelines, confusion matrices,
label efficiency, overlay videos and the k-NN monitor's curve."""
from .confusion import (draw_confusion_matrix, normalize_rows,
                        phase_confusion_matrix)
from .label_efficiency import draw_label_efficiency
from .monitor_curve import draw_monitor_curve, read_monitor_scalars
from .overlay import draw_phase_overlay, write_overlay_video
from .phase_figures import save_phase_figures
from .ribbon import PHASE_COLORS, draw_phase_ribbon, save_figure

__all__ = [
    'PHASE_COLORS', 'draw_confusion_matrix', 'draw_label_efficiency',
    'draw_monitor_curve', 'draw_phase_overlay', 'draw_phase_ribbon',
    'normalize_rows', 'phase_confusion_matrix', 'read_monitor_scalars',
    'save_figure', 'save_phase_figures', 'write_overlay_video'
]
