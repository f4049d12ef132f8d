"""The one decode path, mmdistill.datasets.video: keep_aspect on a
non-square video, and the size argument."""
import argparse

import cv2
import numpy as np
import pytest

from mmdistill.datasets.video import SampledVideo, parse_size

WIDTH, HEIGHT = 256, 128  # a 2:1 source
# A red rectangle, 128 x 64 (2:1), on grey; no black margin to cut.
RECT_X, RECT_Y = (64, 192), (32, 96)


@pytest.fixture(scope='module')
def wide_video(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp('wide') / 'wide.avi')
    frame = np.full((HEIGHT, WIDTH, 3), 128, np.uint8)
    frame[RECT_Y[0]:RECT_Y[1], RECT_X[0]:RECT_X[1]] = (0, 0, 255)  # BGR
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 5,
                             (WIDTH, HEIGHT))
    for _ in range(10):
        writer.write(frame)
    writer.release()
    return path


def _red_box(frame: np.ndarray) -> tuple:
    """Rows and columns spanned by the red pixels of an RGB frame."""
    red = (frame[..., 0] > 180) & (frame[..., 1] < 80) & (frame[..., 2] < 80)
    rows, cols = np.flatnonzero(red.any(axis=1)), np.flatnonzero(
        red.any(axis=0))
    return (rows[0], rows[-1] + 1), (cols[0], cols[-1] + 1)


def test_keep_aspect_pads_a_wide_video_to_square(wide_video):
    """To 128 x 128, keep_aspect pads the 256 x 128 frame to 256 x 256 (64
    black rows above and below) and halves it: the content fills rows 32-95,
    the 2:1 rectangle becomes 64 x 32 at columns 32-95, rows 48-79. The
    default stretches: the same rectangle becomes 64 x 64 (rows 32-95)."""
    padded = SampledVideo(wide_video, 1, (128, 128), keep_aspect=True)
    stretched = SampledVideo(wide_video, 1, (128, 128))
    assert len(padded) == len(stretched) == 2  # samples at 0 s and 1 s
    frame = next(padded.frames())
    assert frame.shape == (128, 128, 3)
    assert (frame[:32] == 0).all() and (frame[96:] == 0).all()
    assert (frame[32:96].reshape(-1, 3).max(axis=1) > 100).all()
    assert _red_box(frame) == ((48, 80), (32, 96))

    frame = next(stretched.frames())
    assert frame.shape == (128, 128, 3)
    assert (frame.reshape(-1, 3).max(axis=1) > 100).all()  # no padding
    assert _red_box(frame) == ((32, 96), (32, 96))


def test_parse_size():
    assert parse_size('250') == (250, 250)
    assert parse_size('320x240') == (320, 240)
    for bad in ('abc', '0', '1x2x3'):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_size(bad)
