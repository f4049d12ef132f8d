"""Datasets over prepared surgical-video frames (layout in :mod:`.layout`).

``SurgicalFrames`` yields unlabelled frames for self-supervised learning,
``SurgicalPhaseFrames`` yields frames with their phase label for fine-tuning
and linear probes. Both read ``meta.json`` (``ann_file``), list frames
ordered by video then frame, and check that every listed frame exists, so a
half-prepared data root fails at construction, not mid-epoch.
"""
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Union

from mmengine.logging import print_log
from mmpretrain.datasets import BaseDataset

from ..registry import DATASETS, VIDEO_DATASETS
from .prepared_annotations import read_frame_annotation
from .errors import SurgicalDataError, reject_renamed
from .layout import META_FILE, annotation_path, frame_path, load_meta
from .splits import low_data_subset, resolve_split
from .verification import check_frame_files


def sampling_step(prepared_fps: float, fps: Optional[float],
                  sample_every: int) -> int:
    """Keep every n-th prepared frame; ``fps`` must divide ``prepared_fps``.

    A ``sample_every`` other than 1 overrides ``fps``, so that
    ``--cfg-options train_dataloader.dataset.sample_every=5`` works on a
    config whose base sets ``fps=1``.

    Raises:
        ValueError: If ``sample_every < 1``, or ``fps`` (used when
            ``sample_every`` is 1) is not ``prepared_fps / n`` for an
            integer ``n``.
    """
    if sample_every < 1:
        raise ValueError(f'sample_every must be >= 1, got {sample_every}')
    if fps is None or sample_every != 1:
        return sample_every
    ratio = prepared_fps / fps
    if ratio < 1 or abs(ratio - round(ratio)) > 1e-6:
        raise ValueError(
            f'the data was prepared at {prepared_fps} fps; fps={fps} must be '
            'that divided by an integer (prepare at a higher rate)')
    return round(ratio)


def _select_videos(meta: Dict[str, Any], meta_path: str,
                   videos: Union[str, Sequence[str]],
                   split_scheme: str) -> List[str]:
    """Video ids named by a split of ``split_scheme`` or listed explicitly."""
    prepared = list(meta['videos'])
    if isinstance(videos, str):
        try:
            return resolve_split(split_scheme, videos, prepared)
        except ValueError as e:
            raise SurgicalDataError(meta_path, str(e)) from None
    missing = [video for video in videos if video not in meta['videos']]
    if missing:
        raise SurgicalDataError(
            meta_path, f'videos {missing} were not prepared; prepared are '
            f'{prepared}')
    return list(videos)


@dataclass(frozen=True)
class LowDataSubset:
    """The videos a low-data dataset chose, and from what.

    Attributes:
        selection (str | Sequence[str]): The ``videos`` argument (a split
            name or explicit ids).
        split_scheme (str): The split scheme naming the split.
        pool (list[str]): The videos drawn from.
        videos (list[str]): The chosen subset.
        num_videos (int, optional): The requested size.
        fraction (float, optional): The requested share.
        seed (int): The low-data seed.
    """
    selection: Union[str, Sequence[str]]
    split_scheme: str
    pool: List[str]
    videos: List[str]
    num_videos: Optional[int]
    fraction: Optional[float]
    seed: int


@DATASETS.register_module()
class SurgicalFrames(BaseDataset):
    """Unlabelled frames of prepared surgical videos, for SSL.

    The paper trains its teacher head and students on the frames of the
    training videos at 1 fps (Cholec80 videos 1-40).

    Args:
        data_root (str): Output of ``tools/data/prepare_phase_dataset.py``.
        videos (str | Sequence[str]): A split name of ``split_scheme`` (e.g.
            ``'train'``) or explicit video ids. Defaults to ``'all'``.
        split_scheme (str): See :mod:`mmdistill.datasets.splits`. Defaults to
            ``'all'``.
        fps (float, optional): Wanted rate; must divide the prepared rate
            (frames prepared at 5 fps read at ``fps=1`` take every 5th).
        sample_every (int): Alternatively, keep every n-th prepared frame.
        **kwargs: ``pipeline``, ``test_mode``, ``lazy_init``, ``indices``,
            ... of :class:`mmpretrain.datasets.BaseDataset`.
    """

    def __init__(self,
                 data_root: str,
                 videos: Union[str, Sequence[str]] = 'all',
                 split_scheme: str = 'all',
                 fps: Optional[float] = None,
                 sample_every: int = 1,
                 **kwargs) -> None:
        reject_renamed(
            type(self).__name__, kwargs,
            dict(split='videos', split_seed='low_data_seed'))
        self.video_selection = videos
        self.split_scheme = split_scheme
        self.videos: List[str] = []
        meta = load_meta(data_root)
        self.step = sampling_step(meta['fps'], fps, sample_every)
        super().__init__(
            ann_file=META_FILE,
            data_root=data_root,
            metainfo=self._metainfo(meta),
            **kwargs)

    def _metainfo(self, meta: Dict[str, Any]) -> dict:
        return dict(dataset=meta['dataset'], fps=meta['fps'] / self.step)

    def _choose_videos(self, meta: Dict[str, Any]) -> List[str]:
        return _select_videos(meta, self.ann_file, self.video_selection,
                              self.split_scheme)

    def _frame_labels(self, meta: Dict[str, Any], video: str,
                      num_frames: int) -> Optional[Sequence[int]]:
        """Per-frame phase ids of ``video``; None for unlabelled frames."""
        return None

    def load_data_list(self) -> List[dict]:
        """One ``dict(img_path, video, frame)`` per kept frame (plus
        ``gt_label`` where :meth:`_frame_labels` gives labels)."""
        meta = load_meta(self.data_root)
        self.videos = self._choose_videos(meta)
        data_list = []
        for video in self.videos:
            num_frames = meta['videos'][video]['num_frames']
            labels = self._frame_labels(meta, video, num_frames)
            check_frame_files(self.data_root, video, num_frames)
            for k in range(0, num_frames, self.step):
                item = dict(
                    img_path=frame_path(self.data_root, video, k),
                    video=video,
                    frame=k)
                if labels is not None:
                    item['gt_label'] = int(labels[k])
                data_list.append(item)
        return data_list


@VIDEO_DATASETS.register_module()
@DATASETS.register_module()
class SurgicalPhaseFrames(SurgicalFrames):
    """Frames of prepared surgical videos labelled with their phase.

    Each item has ``img_path``, ``gt_label`` (phase id), ``video`` and
    ``frame`` (index ``k`` of the sampled frame); items are ordered by video,
    then frame. Classes are the phase names of ``meta.json``.

    Low-data training (the paper fine-tunes on 12.5 % / 25 % of the labelled
    training videos) takes a fixed seeded subset of the videos
    (:func:`mmdistill.datasets.splits.low_data_subset`); the chosen videos
    are logged and kept in :attr:`low_data`, for the caller to record.

    Args:
        data_root (str): Output of ``tools/data/prepare_phase_dataset.py``.
        videos (str | Sequence[str]): A split name of ``split_scheme``
            (``'train'``, ``'val'``, ``'test'`` or ``'all'``) or explicit
            video ids. Defaults to ``'train'``.
        split_scheme (str): ``'cholec80_40_8_32'`` (default),
            ``'cholec80_40_40'``, ``'m2cai16_27_14'``, ``'synthetic'`` or
            ``'all'``; see :mod:`mmdistill.datasets.splits`.
        num_videos (int, optional): Low-data subset of this many videos.
        fraction (float, optional): Low-data subset of this share of videos.
        low_data_seed (int): Which fixed low-data subset.
        fps (float, optional): Wanted rate; must divide the prepared rate.
        sample_every (int): Alternatively, keep every n-th prepared frame.
        **kwargs: ``pipeline``, ``test_mode``, ``lazy_init``, ``indices``,
            ... of :class:`mmpretrain.datasets.BaseDataset`.

    Attributes:
        low_data (LowDataSubset, optional): The low-data subset chosen when
            the data list was loaded; None without one.
    """

    def __init__(self,
                 data_root: str,
                 videos: Union[str, Sequence[str]] = 'train',
                 split_scheme: str = 'cholec80_40_8_32',
                 num_videos: Optional[int] = None,
                 fraction: Optional[float] = None,
                 low_data_seed: int = 0,
                 fps: Optional[float] = None,
                 sample_every: int = 1,
                 **kwargs) -> None:
        self.low_data_request = dict(
            num_videos=num_videos, fraction=fraction, seed=low_data_seed)
        self.low_data: Optional[LowDataSubset] = None
        super().__init__(
            data_root,
            videos=videos,
            split_scheme=split_scheme,
            fps=fps,
            sample_every=sample_every,
            **kwargs)

    def _metainfo(self, meta: Dict[str, Any]) -> dict:
        return dict(super()._metainfo(meta), classes=tuple(meta['phases']))

    @property
    def is_low_data(self) -> bool:
        """Whether a low-data subset was requested."""
        return (self.low_data_request['num_videos'] is not None
                or self.low_data_request['fraction'] is not None)

    def _choose_videos(self, meta: Dict[str, Any]) -> List[str]:
        pool = super()._choose_videos(meta)
        if not self.is_low_data:
            return pool
        chosen = low_data_subset(pool, **self.low_data_request)
        self.low_data = LowDataSubset(
            selection=self.video_selection,
            split_scheme=self.split_scheme,
            pool=pool,
            videos=chosen,
            **self.low_data_request)
        print_log(
            f'Low-data subset of {self.video_selection!r} '
            f'({self.split_scheme}), seed {self.low_data.seed}: '
            f'{len(chosen)} of {len(pool)} videos: {chosen}',
            logger='current')
        return chosen

    def _frame_labels(self, meta: Dict[str, Any], video: str,
                      num_frames: int) -> Sequence[int]:
        path = annotation_path(self.data_root, video)
        labels = read_frame_annotation(path, len(meta['phases'])).phases
        if len(labels) != num_frames:
            raise SurgicalDataError(
                path, f'{len(labels)} rows but meta.json lists '
                f'{num_frames} frames for {video}; re-run the preparation')
        return labels
