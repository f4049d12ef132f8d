"""Whole-video feature sequences for the temporal phase model.

Reads a feature directory written by feature extraction
(``tools/extract_features.py``); its format is :mod:`.feature_index`.
"""
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.dataset import BaseDataset
from mmpretrain.structures import DataSample

from mmdistill.registry import DATASETS, VIDEO_DATASETS
from .errors import reject_renamed
from .feature_index import index_path, read_feature_index


@DATASETS.register_module()
@VIDEO_DATASETS.register_module()
class PhaseFeatureSequences(BaseDataset):
    """One item per video: its frame features and per-frame phase labels.

    Each item is ``dict(inputs=FloatTensor[T, D], data_samples=DataSample)``
    with ``gt_phase`` (LongTensor [T]) and the metainfo ``video_name`` and
    ``num_frames``. Batches of videos of different lengths are padded by
    :class:`mmdistill.models.temporal.PhaseSequencePreprocessor`, so the
    Runner's default ``pseudo_collate`` suffices.

    Args:
        feature_dir: Directory holding ``index.json`` and the ``.npy`` files.
        videos: Explicit videos to use, in this order; or a split name, which
            keeps the videos of the index (in index order) whose entry has
            that ``split`` (the ``--split`` they were extracted with); None
            (the default) keeps all.
        pipeline: Transforms applied before packing, to a dict with
            ``feats`` (float32 [T, D] array), ``gt_phase`` (int64 [T] array),
            ``video_name`` and ``num_frames``; default none.
        test_mode: Passed to :class:`mmengine.dataset.BaseDataset`.
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments
            (``metainfo``, ``serialize_data``, ``lazy_init``, ...).
    """

    def __init__(self,
                 feature_dir: str,
                 videos: Union[str, Sequence[str], None] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: bool = False,
                 **kwargs) -> None:
        reject_renamed(type(self).__name__, kwargs, dict(split='videos'))
        self.feature_dir = feature_dir
        self.split = videos if isinstance(videos, str) else None
        self.videos = (None if videos is None or self.split is not None else
                       list(videos))
        super().__init__(
            ann_file=index_path(feature_dir),
            pipeline=list(pipeline),
            test_mode=test_mode,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read ``index.json`` and select the videos."""
        index = read_feature_index(self.feature_dir)
        entries = index['videos']
        names = list(entries) if self.videos is None else self.videos
        unknown = [name for name in names if name not in entries]
        if unknown:
            raise KeyError(
                f'{self.ann_file} has no features for videos {unknown}; it '
                f'holds {list(entries)}. Extract them with '
                f'tools/extract_features.py or fix `videos`.')
        if self.split is not None:
            names = [n for n in names if entries[n].get('split') == self.split]
            if not names:
                raise ValueError(
                    f'No video of {self.ann_file} was extracted with split '
                    f'{self.split!r}; run tools/extract_features.py with '
                    f'--split {self.split} or list the `videos`.')
        data_list = []
        for name in names:
            entry = entries[name]
            labels = np.asarray(entry['labels'], dtype=np.int64)
            if labels.shape != (entry['num_frames'], ):
                raise ValueError(
                    f'{self.ann_file}: video {name!r} has num_frames='
                    f'{entry["num_frames"]} but {labels.size} labels; '
                    f're-extract its features.')
            data_list.append(
                dict(
                    video_name=name,
                    feat_path=osp.join(self.feature_dir, entry['file']),
                    num_frames=int(entry['num_frames']),
                    feature_dim=int(index['feature_dim']),
                    gt_phase=labels))
        return data_list

    def prepare_data(self, idx: int) -> dict:
        """Load one video's features, run the pipeline and pack the item."""
        info = self.get_data_info(idx)
        feats = np.load(info['feat_path'])
        expected = (info['num_frames'], info['feature_dim'])
        if feats.shape != expected:
            raise ValueError(
                f'{info["feat_path"]} holds an array of shape {feats.shape}, '
                f'but {self.ann_file} expects {expected}; re-extract it.')
        results = self.pipeline(dict(info, feats=feats))
        sample = DataSample(
            metainfo=dict(
                video_name=results['video_name'],
                num_frames=len(results['gt_phase'])))
        sample.gt_phase = torch.as_tensor(
            results['gt_phase'], dtype=torch.long)
        return dict(
            inputs=torch.as_tensor(results['feats'], dtype=torch.float32),
            data_samples=sample)
