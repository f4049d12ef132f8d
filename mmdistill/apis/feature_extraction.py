"""Per-video feature sequences of a frame model, for temporal phase models.

TeCNO and MS-TCN train on frozen per-frame features of whole videos. Each
frame's feature is the global average pool of the backbone's last output, as
an mmpretrain ImageClassifier with a ``GlobalAveragePooling`` neck computes;
other necks (e.g. MoCo's projection) are not applied. Frames always go
through the test pipeline (``test_dataloader.dataset.pipeline``), so the
features of every split are deterministic. The output directory's format,
and its resumability, is :mod:`mmdistill.datasets.feature_index`.
"""
import copy
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Iterable, Iterator, List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.utils import register_all_modules
from torch import nn
from torch.utils.data import Dataset, Subset
from tqdm import tqdm

from mmdistill.datasets.feature_index import FeatureIndexWriter
from mmdistill.models.pretrained import PublicPretrainedInit
from mmdistill.models.utils.embedding import backbone_embedding
from mmdistill.registry import DATASETS, MODELS
from .runner import load_config

SPLITS = ('train', 'val', 'test')


@dataclass
class ExtractedFeatures:
    """What :func:`extract_features` did.

    Attributes:
        feature_dir: The output directory.
        feature_dim: ``D`` of the ``[T, D]`` arrays.
        videos: Every video of the split, in dataset order.
        computed: The videos computed by this call (the others were complete
            from an earlier one).
    """
    feature_dir: str
    feature_dim: int
    videos: List[str]
    computed: List[str]


def build_feature_model(cfg: Config, checkpoint: str,
                        device: str) -> nn.Module:
    """``cfg.model`` with its backbone loaded from ``checkpoint``, in eval
    mode.

    A top-level ``data_preprocessor`` (mmpretrain's convention) is used when
    the model config has none, so frames are normalised as in training.
    ``checkpoint`` is a full checkpoint (its ``backbone.*`` weights are used)
    or backbone-only weights, refused with the missing keys when they do not
    fit.
    """
    model_cfg = copy.deepcopy(cfg.model)
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    model = MODELS.build(model_cfg)
    PublicPretrainedInit(checkpoint, part='backbone')(
        model.backbone)
    return model.to(device).eval()


def build_frame_dataset(cfg: Config, split: str) -> Dataset:
    """The ``{split}_dataloader`` dataset, with the test pipeline.

    Raises:
        KeyError: If the config has no such dataloader.
    """
    loader_key = f'{split}_dataloader'
    if not cfg.get(loader_key):
        raise KeyError(f'The config has no {loader_key}; choose another '
                       f'split or add it.')
    dataset_cfg = copy.deepcopy(cfg[loader_key].dataset)
    test_loader = cfg.get('test_dataloader')
    if split != 'test' and 'pipeline' in dataset_cfg and test_loader:
        dataset_cfg.pipeline = copy.deepcopy(test_loader.dataset.pipeline)
    return DATASETS.build(dataset_cfg)


def group_frames(dataset: Dataset) -> Dict[str, dict]:
    """Dataset indices and labels of each video, in dataset order.

    Returns:
        ``{video: dict(indices=[...], labels=[...])}``.

    Raises:
        KeyError: If an item lacks ``video``, ``frame`` or ``gt_label``.
        ValueError: If a video's frames are not contiguous and increasing, or
            a video name cannot be a file name.
    """
    videos: Dict[str, dict] = {}
    previous = (None, None)
    for idx in range(len(dataset)):
        info = dataset.get_data_info(idx)
        missing = {'video', 'frame', 'gt_label'} - set(info)
        if missing:
            raise KeyError(
                f'{type(dataset).__name__} item {idx} lacks {sorted(missing)}'
                f'; feature extraction needs a labelled frame dataset '
                f'(e.g. SurgicalPhaseFrames) with video, frame and gt_label.')
        video, frame = str(info['video']), int(info['frame'])
        if video != previous[0]:
            if video in videos:
                raise ValueError(
                    f'{type(dataset).__name__}: frames of video {video!r} '
                    f'are not contiguous (again at item {idx}); order the '
                    f'dataset by video, then frame.')
            if os.sep in video or video.startswith('.'):
                raise ValueError(f'Video name {video!r} cannot be a file '
                                 f'name')
            videos[video] = dict(indices=[], labels=[])
        elif frame <= previous[1]:
            raise ValueError(
                f'{type(dataset).__name__}: video {video!r} frame {frame} '
                f'follows frame {previous[1]} (item {idx}); order the '
                f'dataset by video, then frame.')
        videos[video]['indices'].append(idx)
        videos[video]['labels'].append(int(np.asarray(info['gt_label'])))
        previous = (video, frame)
    return videos


@torch.no_grad()
def pooled_features(model: nn.Module, data: dict, amp: bool) -> torch.Tensor:
    """The backbone embedding [N, D] (:func:`backbone_embedding`), float32,
    CPU."""
    inputs = model.data_preprocessor(data, False)['inputs']
    with torch.autocast('cuda', dtype=torch.float16, enabled=amp):
        feats = backbone_embedding(model.backbone, model.backbone(inputs))
    return feats.float().cpu()


def split_by_video(batches: Iterable[torch.Tensor],
                   lengths: Sequence[int]) -> Iterator[np.ndarray]:
    """Regroup consecutive frame-feature batches into videos of ``lengths``."""
    remaining = iter(lengths)
    need = next(remaining, None)
    pending: List[torch.Tensor] = []
    count = 0
    for feats in batches:
        pending.append(feats)
        count += len(feats)
        while need is not None and count >= need:
            merged = torch.cat(pending)
            yield merged[:need].numpy()
            pending, count = [merged[need:]], count - need
            need = next(remaining, None)
    if need is not None or count:
        raise RuntimeError('The dataloader yielded a different number of '
                           'frames than the dataset lists')


def extract_features(config: str,
                     checkpoint: str,
                     out_dir: str,
                     split: str = 'test',
                     batch_size: int = 64,
                     amp: bool = False,
                     fps: Optional[float] = None,
                     device: Optional[str] = None,
                     cfg_options: Optional[dict] = None) -> ExtractedFeatures:
    """Extract the videos of ``split`` not yet complete in ``out_dir``.

    Args:
        config: An mmpretrain config with a ``model.backbone`` and a
            ``{split}_dataloader`` over a labelled frame dataset ordered by
            video, then frame.
        checkpoint: Full checkpoint or backbone-only weights (path or URL).
        out_dir: Output directory; extractions of several splits with the
            same checkpoint may share it.
        split: ``'train'``, ``'val'`` or ``'test'``.
        batch_size: Frames per forward pass.
        amp: float16 autocast (CUDA only).
        fps: Frame rate recorded in the index; default the dataset's
            ``metainfo['fps']``, else 1.
        device: Where the backbone runs; default CUDA if available.
        cfg_options: Overrides merged into the config.

    Raises:
        ValueError: For ``amp`` off CUDA, or an ``out_dir`` holding features
            of another checkpoint, config or fps.
    """
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if amp and not str(device).startswith('cuda'):
        raise ValueError(f'amp needs a CUDA device (got {device}); drop it '
                         'on CPU')
    cfg = load_config(config, cfg_options)
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))

    dataset = build_frame_dataset(cfg, split)
    videos = group_frames(dataset)
    fps = fps or getattr(dataset, 'metainfo', {}).get('fps', 1.0)
    if osp.exists(checkpoint):
        checkpoint = osp.abspath(checkpoint)
    source = dict(checkpoint=checkpoint, config=osp.abspath(config), fps=fps)
    os.makedirs(out_dir, exist_ok=True)
    index = FeatureIndexWriter(out_dir, source)
    todo = [
        video for video, frames in videos.items()
        if not index.is_complete(video, len(frames['indices']))
    ]
    print_log(
        f'{len(videos) - len(todo)} of {len(videos)} videos already in '
        f'{out_dir}; extracting {len(todo)}',
        logger='current')
    if todo:
        model = build_feature_model(cfg, checkpoint, device)
        loader_cfg = copy.deepcopy(cfg[f'{split}_dataloader'])
        loader_cfg.pop('batch_sampler', None)
        loader_cfg.update(
            dataset=Subset(dataset,
                           [i for v in todo for i in videos[v]['indices']]),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=batch_size,
            drop_last=False,
            persistent_workers=False)
        loader = Runner.build_dataloader(loader_cfg)
        lengths = [len(videos[v]['indices']) for v in todo]
        batches = (
            pooled_features(model, data, amp)
            for data in tqdm(loader, unit='batch'))
        for feats, video in zip(split_by_video(batches, lengths), todo):
            index.add(video, feats, videos[video]['labels'], split)
    return ExtractedFeatures(
        feature_dir=out_dir,
        feature_dim=index.feature_dim,
        videos=list(videos),
        computed=todo)
