"""The video with its predicted phases drawn on it.

Each frame gets a banner with the current phase and its confidence, and a
timeline bar along the bottom that grows with the video: one slot per frame,
in the phase's colour (:data:`.ribbon.PHASE_COLORS`, as in the ribbons), grey
for the frames still to come. Frames are drawn with OpenCV and written with
``cv2.VideoWriter`` (``mp4v``) under a hidden temporary name renamed when the
video is complete.
"""
import os
import os.path as osp
from typing import Iterable, Sequence, Tuple

import cv2
import numpy as np
from matplotlib.colors import to_rgb

from .ribbon import PHASE_COLORS

FUTURE_COLOR = (90, 90, 90)


def _rgb255(name: str) -> Tuple[int, int, int]:
    return tuple(int(round(255 * c)) for c in to_rgb(PHASE_COLORS[name]))


def draw_phase_overlay(frame: np.ndarray, t: int, labels: np.ndarray,
                       confidence: float,
                       phases: Sequence[str]) -> np.ndarray:
    """Draw frame ``t``'s phase, confidence and the timeline so far.

    Args:
        frame: RGB frame [H, W, 3] uint8 (not modified).
        t: Index of the frame in the video.
        labels: Predicted phase ids of the whole video, [T].
        confidence: Probability of ``labels[t]``.
        phases: Phase names in id order.

    Returns:
        A new RGB frame of the same size.
    """
    image = np.ascontiguousarray(frame.copy())
    height, width = image.shape[:2]
    bar = max(4, height // 16)
    scale = max(0.3, height / 600)
    thickness = max(1, int(round(2 * scale)))

    total = len(labels)
    edges = np.round(np.arange(total + 1) * width / total).astype(int)
    image[height - bar:, :] = FUTURE_COLOR
    colors = np.array([_rgb255(name) for name in phases], np.uint8)
    slot = np.searchsorted(edges, np.arange(width), side='right') - 1
    done = slot <= t
    image[height - bar:, done] = colors[labels[slot[done]]]
    cursor = min(edges[t + 1], width - 1)
    image[height - bar:, max(cursor - 1, 0):cursor + 1] = 255

    text = f'{phases[labels[t]]} {100 * confidence:.0f}%'
    (text_w, text_h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX,
                                             scale, thickness)
    pad = max(2, text_h // 3)
    box_h = text_h + base + 2 * pad
    banner = image[:box_h, :min(width, text_w + 2 * pad + box_h)]
    banner[:] = (banner * 0.4).astype(np.uint8)
    image[pad:box_h - pad, pad:pad + box_h - 2 * pad] = colors[labels[t]]
    cv2.putText(image, text, (box_h, pad + text_h), cv2.FONT_HERSHEY_SIMPLEX,
                scale, (255, 255, 255), thickness, cv2.LINE_AA)
    return image


def write_overlay_video(out_file: str, frames: Iterable[np.ndarray],
                        probs: np.ndarray, phases: Sequence[str],
                        fps: float) -> None:
    """Write ``frames`` with their phases drawn on them as an mp4.

    Args:
        out_file: The ``.mp4`` to write; replaced only when complete.
        frames: RGB frames, one per row of ``probs``, all of one size.
        probs: Phase probabilities [T, num_phases].
        phases: Phase names in id order.
        fps: Frame rate of the written video.

    Raises:
        ValueError: If the number of frames differs from ``len(probs)``.
        OSError: If OpenCV cannot write the file.
    """
    labels = probs.argmax(axis=1)
    directory = osp.dirname(osp.abspath(out_file))
    os.makedirs(directory, exist_ok=True)
    tmp = osp.join(directory, f'.{osp.basename(out_file)}.partial.mp4')
    writer = None
    count = 0
    try:
        for t, frame in enumerate(frames):
            if t >= len(labels):
                raise ValueError(f'{out_file}: more frames than the '
                                 f'{len(labels)} predictions')
            if writer is None:
                height, width = frame.shape[:2]
                writer = cv2.VideoWriter(tmp,
                                         cv2.VideoWriter_fourcc(*'mp4v'),
                                         fps, (width, height))
                if not writer.isOpened():
                    raise OSError(f'OpenCV cannot write mp4v video {tmp}')
            image = draw_phase_overlay(frame, t, labels, probs[t, labels[t]],
                                       phases)
            writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            count += 1
        if count != len(labels):
            raise ValueError(f'{out_file}: {count} frames for '
                             f'{len(labels)} predictions')
        writer.release()
        os.replace(tmp, out_file)
    except BaseException:
        if writer is not None:
            writer.release()
        if osp.exists(tmp):
            os.remove(tmp)
        raise
