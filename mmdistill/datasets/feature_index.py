"""The feature-index format: per-video frame features for temporal models.

Feature extraction (:func:`mmdistill.apis.extract_features`) writes a
directory and :class:`~mmdistill.datasets.feature_sequences.
PhaseFeatureSequences` reads it; both go through this module::

    <video>.npy   float32 [T, D], one per video
    index.json    {"feature_dim": D, "fps": F, "checkpoint": ...,
                   "config": ..., "videos": {"<video>": {"file": "<video>.npy",
                                          "num_frames": T,
                                          "labels": [int, ...],
                                          "split": "train"}}}

Every file is written atomically (:func:`mmdistill.utils.atomic_write`) and
the index after each array, so a directory is resumable: a video counts as
done only when its index entry and a readable ``[T, D]`` array agree.
"""
import json
import os.path as osp
from typing import List, Optional

import numpy as np

from mmdistill.utils.fileio import atomic_write

INDEX_FILE = 'index.json'
#: Index keys naming what produced the features; one directory, one source.
SOURCE_KEYS = ('checkpoint', 'config', 'fps')
REQUIRED_KEYS = ('feature_dim', 'videos')


def index_path(feature_dir: str) -> str:
    """``<feature_dir>/index.json``."""
    return osp.join(feature_dir, INDEX_FILE)


def read_feature_index(feature_dir: str) -> dict:
    """The index of ``feature_dir``, checked for the keys readers need.

    Raises:
        FileNotFoundError: If there is no index, naming how to write one.
        KeyError: If the index lacks ``feature_dim`` or ``videos``.
    """
    path = index_path(feature_dir)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Feature index {path} not found; write it with '
            f'`python tools/extract_features.py CONFIG CHECKPOINT '
            f'--out-dir {feature_dir}`.')
    with open(path, encoding='utf-8') as f:
        index = json.load(f)
    missing = set(REQUIRED_KEYS) - set(index)
    if missing:
        raise KeyError(f'{path} lacks the keys {sorted(missing)}; it was not '
                       f'written by tools/extract_features.py.')
    return index


class FeatureIndexWriter:
    """Adds videos to a feature directory, saving the index after each.

    Args:
        feature_dir: The output directory.
        source: ``checkpoint``, ``config`` and ``fps`` of this extraction; an
            existing index written from another source is refused, so one
            directory never mixes features of different models.

    Raises:
        ValueError: If ``feature_dir`` holds features of another source.
    """

    def __init__(self, feature_dir: str, source: dict) -> None:
        self.feature_dir = feature_dir
        self.path = index_path(feature_dir)
        if osp.isfile(self.path):
            self.data = read_feature_index(feature_dir)
            for key in SOURCE_KEYS:
                if self.data.get(key) != source[key]:
                    raise ValueError(
                        f'{self.path} holds features with {key}='
                        f'{self.data.get(key)!r}, this run has '
                        f'{source[key]!r}; use another --out-dir.')
        else:
            self.data = dict(feature_dim=None, **source, videos={})

    @property
    def feature_dim(self) -> Optional[int]:
        """``D``, once a video is written."""
        return self.data['feature_dim']

    def is_complete(self, video: str, num_frames: int) -> bool:
        """Whether ``video`` has an index entry and a readable [T, D] array."""
        entry = self.data['videos'].get(video)
        if entry is None or entry['num_frames'] != num_frames:
            return False
        try:
            feats = np.load(
                osp.join(self.feature_dir, entry['file']), mmap_mode='r')
        except (OSError, ValueError):
            return False
        return feats.shape == (num_frames, self.feature_dim)

    def add(self, video: str, feats: np.ndarray, labels: List[int],
            split: str) -> None:
        """Write ``video``'s array, then record it in the saved index.

        Raises:
            ValueError: If ``feats`` has another dimension than the index.
        """
        if self.feature_dim is not None and feats.shape[1] != self.feature_dim:
            raise ValueError(
                f'{video}: features have dimension {feats.shape[1]} but '
                f'{self.path} has feature_dim={self.feature_dim}; use another '
                f'--out-dir.')
        file = f'{video}.npy'
        with atomic_write(osp.join(self.feature_dir, file), binary=True) as f:
            np.save(f, feats)
        self.data['feature_dim'] = int(feats.shape[1])
        self.data['videos'][video] = dict(
            file=file, num_frames=len(feats), labels=labels, split=split)
        with atomic_write(self.path) as f:
            json.dump(self.data, f)
