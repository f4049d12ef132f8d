"""The prepared dataset layout shared by the preparation tool and the datasets.

::

    <data_root>/frames/<video>/<k:06d>.jpg   k-th sampled frame (k / fps s)
    <data_root>/annotations/<video>.tsv      see ``prepared_annotations.py``
    <data_root>/meta.json                    {"dataset", "fps", "size",
                                              "phases", "tools", "videos"}

``meta.json`` is the ledger of finished videos: a video is listed in
``meta["videos"]`` only after its frame folder and annotation file are
complete, so readers trust exactly the videos it lists.
"""
import json
import os.path as osp
from typing import Any, Dict

from ..utils.fileio import write_text_atomic
from .errors import SurgicalDataError

META_FILE = 'meta.json'
FRAMES_DIR = 'frames'
ANNOTATIONS_DIR = 'annotations'
META_KEYS = ('dataset', 'fps', 'phases', 'tools', 'videos')
PARTIAL_SUFFIX = '.partial'


def frames_dir(data_root: str, video: str) -> str:
    """Folder holding the JPEG frames of ``video``."""
    return osp.join(data_root, FRAMES_DIR, video)


def frame_name(k: int) -> str:
    """File name of the ``k``-th sampled frame."""
    return f'{k:06d}.jpg'


def frame_path(data_root: str, video: str, k: int) -> str:
    """Path of the ``k``-th sampled frame of ``video``."""
    return osp.join(data_root, FRAMES_DIR, video, frame_name(k))


def annotation_path(data_root: str, video: str) -> str:
    """Path of the unified per-frame annotation of ``video``."""
    return osp.join(data_root, ANNOTATIONS_DIR, f'{video}.tsv')


def partial_path(path: str) -> str:
    """Hidden temporary name under which ``path`` is written."""
    return osp.join(
        osp.dirname(path), f'.{osp.basename(path)}{PARTIAL_SUFFIX}')


def load_meta(data_root: str) -> Dict[str, Any]:
    """Read and check ``<data_root>/meta.json``.

    Raises:
        SurgicalDataError: If the file is missing, is not JSON or lacks one
            of :data:`META_KEYS`.
    """
    path = osp.join(data_root, META_FILE)
    if not osp.isfile(path):
        raise SurgicalDataError(
            path, 'missing; prepare the data first with '
            'tools/data/prepare_phase_dataset.py (see docs/data.md), or fix '
            'data_root')
    try:
        with open(path) as f:
            meta = json.load(f)
    except json.JSONDecodeError as e:
        raise SurgicalDataError(path, f'not valid JSON ({e})') from None
    missing = [key for key in META_KEYS if key not in meta]
    if missing:
        raise SurgicalDataError(
            path, f'lacks keys {missing}; it was not written by '
            'tools/data/prepare_phase_dataset.py')
    return meta


def dump_meta(data_root: str, meta: Dict[str, Any]) -> None:
    """Write ``meta`` to ``<data_root>/meta.json`` atomically."""
    write_text_atomic(
        osp.join(data_root, META_FILE),
        json.dumps(meta, indent=2) + '\n')
