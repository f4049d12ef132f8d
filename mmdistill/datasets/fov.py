"""Cutting the black margin around the endoscope's circular field of view.

The public Cholec80 pipelines (SV-RCNet / TMRNet ``change_size``) threshold
the grey image at 15, median-blur the mask (kernel 19) to drop isolated
bright pixels, and crop to the bounding box of what remains. We threshold
the same way but replace the median blur by projections: a row (column)
belongs to the field of view when more than ``min_fraction`` of its pixels
are bright. Isolated noise and thin overlays in the margin never reach that
share, and the cost is two means instead of a large-kernel filter.
"""
from typing import Tuple

import cv2
import numpy as np

Box = Tuple[int, int, int, int]


def fov_box(image: np.ndarray,
            threshold: int = 15,
            min_fraction: float = 0.02,
            min_area: float = 0.25) -> Box:
    """Bounding box ``(x0, y0, x1, y1)`` (end-exclusive) of the field of view.

    Args:
        image (np.ndarray): ``(H, W, 3)`` RGB or ``(H, W)`` grey uint8 frame.
        threshold (int): Grey level above which a pixel is bright.
        min_fraction (float): Share of bright pixels a row or column needs to
            count as inside the field of view.
        min_area (float): A box covering less than this share of the frame
            is taken for a dark frame (camera outside the body, lens
            covered) and the whole frame is kept.

    Returns:
        tuple[int]: The box; the whole frame when no field of view is found.
    """
    grey = image if image.ndim == 2 else cv2.cvtColor(image,
                                                      cv2.COLOR_RGB2GRAY)
    height, width = grey.shape
    bright = grey > threshold
    rows = np.flatnonzero(bright.mean(axis=1) > min_fraction)
    cols = np.flatnonzero(bright.mean(axis=0) > min_fraction)
    if rows.size == 0 or cols.size == 0:
        return 0, 0, width, height
    x0, x1, y0, y1 = cols[0], cols[-1] + 1, rows[0], rows[-1] + 1
    if (x1 - x0) * (y1 - y0) < min_area * width * height:
        return 0, 0, width, height
    return int(x0), int(y0), int(x1), int(y1)


def cut_fov(image: np.ndarray, **kwargs) -> np.ndarray:
    """Crop ``image`` to :func:`fov_box` (keyword arguments go there)."""
    x0, y0, x1, y1 = fov_box(image, **kwargs)
    return image[y0:y1, x0:x1]
