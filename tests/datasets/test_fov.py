"""Black-margin cutting on hand-made frames with known boxes."""
import cv2
import numpy as np

from mmdistill.datasets import cut_fov, fov_box


def test_rectangle_box_is_exact():
    image = np.zeros((100, 200, 3), np.uint8)
    image[10:90, 30:170] = (120, 60, 50)
    assert fov_box(image) == (30, 10, 170, 90)
    assert cut_fov(image).shape == (80, 140, 3)


def test_circle_clipped_top_and_bottom():
    # Like an endoscope frame: a circle of radius 60 centred at (100, 50) in
    # a 200x100 frame spans columns 40..160 and every row.
    image = np.zeros((100, 200, 3), np.uint8)
    cv2.circle(image, (100, 50), 60, (90, 60, 160), -1)
    x0, y0, x1, y1 = fov_box(image, min_fraction=0.0)
    assert (x0, y0, x1, y1) == (40, 0, 161, 100)
    # The default needs more than 2 % of the 100 rows bright: the outermost
    # column on each side is a single pixel tall and is dropped.
    assert fov_box(image) == (41, 0, 160, 100)


def test_isolated_noise_in_the_margin_is_ignored():
    image = np.zeros((100, 200, 3), np.uint8)
    image[20:80, 50:150] = 200
    image[3, 5] = image[95, 195] = 255  # hot pixels in the margin
    image[40, 190] = 255
    assert fov_box(image) == (50, 20, 150, 80)


def test_threshold_separates_dark_tissue_from_the_margin():
    image = np.full((100, 200), 10, np.uint8)  # margin: grey 10
    image[:, 60:140] = 16  # dark tissue just above the threshold 15
    assert fov_box(image) == (60, 0, 140, 100)
    assert fov_box(image, threshold=16) == (0, 0, 200, 100)


def test_dark_or_tiny_field_of_view_keeps_the_frame():
    black = np.zeros((100, 200, 3), np.uint8)
    assert fov_box(black) == (0, 0, 200, 100)
    spot = black.copy()
    spot[40:60, 90:110] = 255  # 400 px, 2 % of the frame (< 25 %)
    assert fov_box(spot) == (0, 0, 200, 100)
