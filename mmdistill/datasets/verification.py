"""Checking a prepared data root: every listed frame exists and decodes."""
import os
import os.path as osp
from typing import List, Optional, Sequence

from PIL import Image

from .prepared_annotations import read_frame_annotation
from .errors import SurgicalDataError
from .layout import (META_FILE, annotation_path, frame_name, frames_dir,
                     load_meta)


def check_frame_files(data_root: str, video: str, num_frames: int) -> None:
    """Raise unless ``frames/<video>/`` holds frames ``0 .. num_frames-1``.

    Raises:
        SurgicalDataError: Naming the folder, for a missing or empty folder
            or missing frames.
    """
    folder = frames_dir(data_root, video)
    if not osp.isdir(folder):
        raise SurgicalDataError(
            folder, 'missing frame folder; re-run the preparation')
    present = set(os.listdir(folder))
    missing = [
        frame_name(k) for k in range(num_frames)
        if frame_name(k) not in present
    ]
    if num_frames == 0 or missing:
        raise SurgicalDataError(
            folder, f'{len(missing)} of {num_frames} frames are missing '
            f'(first: {missing[:3]}); re-run the preparation of {video}')


def _decode_error(path: str) -> Optional[str]:
    try:
        with Image.open(path) as image:
            image.load()
    except (OSError, SyntaxError, ValueError) as e:
        return str(e)
    return None


def find_bad_frames(
        data_root: str,
        videos: Optional[Sequence[str]] = None) -> List[SurgicalDataError]:
    """Every problem of the prepared ``videos`` (default: all in meta.json).

    Checks the annotation file (readable, one row per frame), the frame
    files, and decodes every JPEG completely, so truncated files are found
    too (OpenCV would silently return a partly grey image for those).

    Returns:
        list[SurgicalDataError]: One per bad file; empty when all is well.
    """
    meta = load_meta(data_root)
    problems = []
    for video in videos or list(meta['videos']):
        if video not in meta['videos']:
            problems.append(
                SurgicalDataError(
                    osp.join(data_root, META_FILE),
                    f'{video} is not listed as prepared'))
            continue
        num_frames = meta['videos'][video]['num_frames']
        try:
            path = annotation_path(data_root, video)
            rows = len(read_frame_annotation(path).phases)
            if rows != num_frames:
                raise SurgicalDataError(
                    path, f'{rows} rows but meta.json lists {num_frames} '
                    'frames')
            check_frame_files(data_root, video, num_frames)
        except SurgicalDataError as e:
            problems.append(e)
            continue
        for k in range(num_frames):
            path = osp.join(frames_dir(data_root, video), frame_name(k))
            error = _decode_error(path)
            if error:
                problems.append(
                    SurgicalDataError(path, f'unreadable JPEG ({error})'))
    return problems
