"""The one video decode path: open, sample at ``k / fps``, cut, fit.

Preparation (:mod:`.preparation`) writes these frames as JPEGs for training;
the phase inferencer (:class:`mmdistill.apis.PhaseInferencer`) feeds them to
the models directly. Both go through this module, so a model sees at
inference the frames it was trained on (up to JPEG compression).

A frame goes through three steps: decord decodes the native frame
``round(k * native_fps / fps)`` for sample ``k``
(:func:`.raw_annotations.sampled_frame_indices`), the black margin around the
field of view is cut (:func:`.fov.cut_fov`), and the rest is resized to the
output size with area interpolation -- stretched, as the public Cholec80
pipelines do, or with ``keep_aspect`` padded with black to the output's
aspect first, so that a non-square source keeps its geometry.
"""
import argparse
import os.path as osp
from typing import Iterator, Optional, Tuple

import cv2
import decord
import numpy as np

from .raw_annotations import sampled_frame_indices
from .errors import SurgicalDataError
from .fov import cut_fov

DECODE_CHUNK = 32
DEFAULT_FIX = 're-download or re-encode it'


def parse_size(text: str) -> Tuple[int, int]:
    """``'250'`` -> (250, 250); ``'320x240'`` -> (320, 240) (width, height).

    The ``type`` of the tools' ``--size``; raises
    ``argparse.ArgumentTypeError``, which argparse reports as it is.
    """
    try:
        parts = [int(x) for x in text.lower().split('x')]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'size must be N or WxH, got {text!r}') from None
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2 or min(parts) <= 0:
        raise argparse.ArgumentTypeError(
            f'size must be N or WxH, got {text!r}')
    return parts[0], parts[1]


def open_video(path: str, fix: str = DEFAULT_FIX) -> decord.VideoReader:
    """Open ``path`` with decord (one thread, CPU).

    Args:
        path: Any container and codec decord's ffmpeg reads.
        fix: What the user should do about a bad file, for the message.

    Raises:
        SurgicalDataError: For a missing, unreadable or empty video.
    """
    if not osp.isfile(path):
        raise SurgicalDataError(path, 'missing video file')
    decord.logging.set_level(decord.logging.QUIET)
    try:
        reader = decord.VideoReader(path, ctx=decord.cpu(0), num_threads=1)
    except Exception as e:  # decord raises RuntimeError or DECORDError
        raise SurgicalDataError(
            path, f'cannot be opened as a video, it is corrupt or truncated '
            f'({str(e).strip()}); {fix}') from None
    if len(reader) == 0:
        raise SurgicalDataError(path, f'the video has no frames; {fix}')
    return reader


def sample_indices(path: str, num_frames: int, native_fps: float,
                   fps: float) -> np.ndarray:
    """Native frame index of each sample ``k`` at ``k / fps`` seconds.

    Raises:
        SurgicalDataError: If ``fps`` exceeds the video's rate.
    """
    try:
        return sampled_frame_indices(num_frames, native_fps, fps)
    except ValueError as e:
        raise SurgicalDataError(
            path, f'{e} (the video has {native_fps} fps)') from None


def decode(reader: decord.VideoReader,
           indices: np.ndarray,
           path: str,
           fix: str = DEFAULT_FIX) -> np.ndarray:
    """Native RGB frames ``indices`` of ``reader``, [N, H, W, 3] uint8.

    Raises:
        SurgicalDataError: Where ffmpeg fails (a corrupt or truncated file).
    """
    try:
        return reader.get_batch(np.asarray(indices).tolist()).asnumpy()
    except Exception as e:  # decord.DECORDError, with ffmpeg's message
        raise SurgicalDataError(
            path, f'decoding failed between frames {indices[0]} and '
            f'{indices[-1]}, the file is corrupt or truncated '
            f'({str(e).strip()[-200:]}); {fix}') from None


def pad_to_aspect(image: np.ndarray, aspect: float) -> np.ndarray:
    """Pad ``image`` with black, centred, to ``width / height == aspect``.

    Only one side grows; an image already at the aspect is returned as is.
    """
    height, width = image.shape[:2]
    if width < aspect * height:
        target = (int(round(aspect * height)), height)
    else:
        target = (width, int(round(width / aspect)))
    pad_x, pad_y = target[0] - width, target[1] - height
    if pad_x <= 0 and pad_y <= 0:
        return image
    pad = [(max(pad_y, 0) // 2, max(pad_y, 0) - max(pad_y, 0) // 2),
           (max(pad_x, 0) // 2, max(pad_x, 0) - max(pad_x, 0) // 2)]
    pad += [(0, 0)] * (image.ndim - 2)
    return np.pad(image, pad)


def fit_frame(frame: np.ndarray,
              size: Tuple[int, int],
              fov_threshold: int = 15,
              keep_aspect: bool = False) -> np.ndarray:
    """Cut the black margin of ``frame`` and resize it to ``size``.

    Args:
        frame: A native frame [H, W, 3].
        size: Output ``(width, height)``.
        fov_threshold: Grey level separating the field of view from the
            margin (:func:`.fov.fov_box`).
        keep_aspect: Pad the cut frame with black to the aspect of ``size``
            instead of stretching it.

    Returns:
        The frame [height, width, 3], same dtype and channel order.
    """
    image = cut_fov(frame, threshold=fov_threshold)
    if keep_aspect:
        image = pad_to_aspect(image, size[0] / size[1])
    return cv2.resize(image, tuple(size), interpolation=cv2.INTER_AREA)


def decode_frames(reader: decord.VideoReader,
                  indices: np.ndarray,
                  path: str,
                  fix: str = DEFAULT_FIX,
                  chunk: int = DECODE_CHUNK) -> Iterator[np.ndarray]:
    """Decode ``indices`` in chunks; yield each native RGB frame."""
    for first in range(0, len(indices), chunk):
        yield from decode(reader, indices[first:first + chunk], path, fix)


class SampledVideo:
    """A raw video sampled at ``fps``, as preparation samples it.

    Opening checks the whole file early: it must open, and its last sampled
    frame must decode (a truncated file fails there, before any model runs).

    Args:
        path: The video file.
        fps: Sampling rate; sample ``k`` is at ``k / fps`` seconds.
        size: Output ``(width, height)`` of :meth:`frames`.
        fov_threshold: See :func:`fit_frame`.
        keep_aspect: See :func:`fit_frame`.
        num_frames: Use only the first native frames (e.g. those annotated).

    Raises:
        SurgicalDataError: For a missing, corrupt or truncated video, or an
            ``fps`` above its rate.
    """

    def __init__(self,
                 path: str,
                 fps: float,
                 size: Tuple[int, int],
                 fov_threshold: int = 15,
                 keep_aspect: bool = False,
                 num_frames: Optional[int] = None,
                 fix: str = DEFAULT_FIX) -> None:
        self.path = path
        self.fps = fps
        self.size = tuple(size)
        self.fov_threshold = fov_threshold
        self.keep_aspect = keep_aspect
        self.fix = fix
        self.reader = open_video(path, fix)
        self.num_native_frames = len(self.reader)
        self.native_fps = float(self.reader.get_avg_fps())
        self.indices = sample_indices(
            path, self.num_native_frames if num_frames is None else min(
                num_frames, self.num_native_frames), self.native_fps, fps)
        decode(self.reader, self.indices[-1:], path, fix)
        self.reader.seek(0)

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def times(self) -> np.ndarray:
        """Time of each sample in seconds, ``k / fps``."""
        return np.arange(len(self.indices)) / self.fps

    def native_frames(self,
                      chunk: int = DECODE_CHUNK) -> Iterator[np.ndarray]:
        """Every sample as decoded, uncut, RGB uint8."""
        return decode_frames(self.reader, self.indices, self.path, self.fix,
                             chunk)

    def frames(self, chunk: int = DECODE_CHUNK) -> Iterator[np.ndarray]:
        """Every sample, margin cut and fitted to ``size``, RGB uint8."""
        for frame in self.native_frames(chunk):
            yield fit_frame(frame, self.size, self.fov_threshold,
                            self.keep_aspect)
