"""Extract per-video feature sequences for the temporal phase model.

    python tools/extract_features.py CONFIG CHECKPOINT --out-dir DIR
        [--split test] [--batch-size 64] [--amp] [--fps F] [--device cuda]
        [--cfg-options k=v ...]

CONFIG is an mmpretrain config with a ``model.backbone`` (an ImageClassifier,
a self-supervised algorithm, ...) and a ``{split}_dataloader`` over a
labelled frame dataset whose items carry ``img_path``, ``gt_label`` (phase
id), ``video`` and ``frame``, ordered by video then frame. Frames always go
through the test pipeline (``test_dataloader.dataset.pipeline``), so features
are deterministic whatever the split. CHECKPOINT is a full mmengine
checkpoint (its ``backbone.*`` weights are used) or backbone-only weights.

Each frame's feature is the global average pool of the backbone's last
output, as an ImageClassifier with a ``GlobalAveragePooling`` neck computes;
other necks (e.g. MoCo's projection) are not applied. Writes, in DIR::

    <video>.npy   float32 [T, D], one per video
    index.json    {"feature_dim", "fps", "checkpoint", "config",
                   "videos": {video: {"file", "num_frames", "labels",
                                      "split"}}}

Resumable: every array is written under a temporary name and renamed when
complete, and the index is rewritten atomically after each video; a rerun
skips videos whose index entry and array are complete. Runs of several
splits with the same checkpoint may share DIR.
"""
import argparse
import copy
import json
import os
import os.path as osp
import tempfile
from typing import (Callable, Dict, IO, Iterable, Iterator, List, Optional,
                    Sequence)

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.utils import register_all_modules
from torch import nn
from torch.utils.data import Dataset, Subset
from tqdm import tqdm

from mmdistill.models.pretrained import PublicPretrainedInit
from mmdistill.registry import DATASETS, MODELS

INDEX_FILE = 'index.json'
SOURCE_KEYS = ('checkpoint', 'config', 'fps')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Extract per-video frame features for temporal models')
    parser.add_argument(
        'config', help='config with model.backbone and frame dataloaders')
    parser.add_argument('checkpoint', help='checkpoint path or URL')
    parser.add_argument('--out-dir', required=True, help='output directory')
    parser.add_argument(
        '--split',
        default='test',
        choices=['train', 'val', 'test'],
        help='which {split}_dataloader of the config to extract')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument(
        '--amp', action='store_true', help='float16 autocast (CUDA only)')
    parser.add_argument(
        '--fps',
        type=float,
        help='frame rate of the frames, recorded in the index; default the '
        "dataset's metainfo['fps'], else 1")
    parser.add_argument(
        '--device',
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help='device to run the backbone on')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, e.g. '
        'test_dataloader.num_workers=8')
    args = parser.parse_args(argv)
    if args.amp and not str(args.device).startswith('cuda'):
        parser.error('--amp needs a CUDA device (got --device '
                     f'{args.device}); drop --amp on CPU')
    return args


def default_file_mode() -> int:
    """Mode of a new file under the process umask (mkstemp uses 0o600)."""
    umask = os.umask(0)  # the umask can only be read by setting it
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Write ``path`` through a temporary file renamed when complete."""
    directory, name = osp.split(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f'.{name}.', suffix='.part', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def build_model(cfg: Config, checkpoint: str, device: str) -> nn.Module:
    """Build ``cfg.model``, backbone loaded from ``checkpoint``, eval mode.

    A top-level ``data_preprocessor`` (mmpretrain's convention) is used when
    the model config has none, so frames are normalised as in training.
    """
    model_cfg = copy.deepcopy(cfg.model)
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    model = MODELS.build(model_cfg)
    # mmdistill's checked loader: full (``backbone.*``) or backbone-only
    # checkpoints, refused with the missing keys when they do not fit.
    PublicPretrainedInit(checkpoint, part='backbone')(
        model.backbone)
    return model.to(device).eval()


def build_frame_dataset(cfg: Config, split: str) -> Dataset:
    """The ``{split}_dataloader`` dataset, with the test pipeline."""
    loader_key = f'{split}_dataloader'
    if not cfg.get(loader_key):
        raise KeyError(f'The config has no {loader_key}; choose another '
                       f'--split or add it.')
    dataset_cfg = copy.deepcopy(cfg[loader_key].dataset)
    test_loader = cfg.get('test_dataloader')
    if split != 'test' and 'pipeline' in dataset_cfg and test_loader:
        dataset_cfg.pipeline = copy.deepcopy(test_loader.dataset.pipeline)
    return DATASETS.build(dataset_cfg)


def group_frames(dataset: Dataset) -> Dict[str, dict]:
    """Dataset indices and labels of each video, in dataset order.

    Returns:
        ``{video: dict(indices=[...], labels=[...])}``.
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


class FeatureIndex:
    """``index.json`` of an output directory, saved atomically.

    Args:
        out_dir: The output directory.
        source: ``checkpoint``, ``config`` and ``fps`` of this run; an
            existing index written from another source is refused, so one
            directory never mixes features of different models.
    """

    def __init__(self, out_dir: str, source: dict) -> None:
        self.out_dir = out_dir
        self.path = osp.join(out_dir, INDEX_FILE)
        if osp.isfile(self.path):
            with open(self.path, encoding='utf-8') as f:
                self.data = json.load(f)
            for key in SOURCE_KEYS:
                if self.data.get(key) != source[key]:
                    raise ValueError(
                        f'{self.path} holds features with {key}='
                        f'{self.data.get(key)!r}, this run has '
                        f'{source[key]!r}; use another --out-dir.')
        else:
            self.data = dict(feature_dim=None, **source, videos={})

    def is_complete(self, video: str, num_frames: int) -> bool:
        """Whether ``video`` has an index entry and a readable [T, D] array."""
        entry = self.data['videos'].get(video)
        if entry is None or entry['num_frames'] != num_frames:
            return False
        try:
            feats = np.load(
                osp.join(self.out_dir, entry['file']), mmap_mode='r')
        except (OSError, ValueError):
            return False
        return feats.shape == (num_frames, self.data['feature_dim'])

    def add(self, video: str, feats: np.ndarray, labels: List[int],
            split: str) -> None:
        """Write ``video``'s array, then record it in the saved index."""
        feature_dim = self.data['feature_dim']
        if feature_dim is not None and feats.shape[1] != feature_dim:
            raise ValueError(
                f'{video}: features have dimension {feats.shape[1]} but '
                f'{self.path} has feature_dim={feature_dim}; use another '
                f'--out-dir.')
        file = f'{video}.npy'
        atomic_write(osp.join(self.out_dir, file), lambda f: np.save(f, feats))
        self.data['feature_dim'] = int(feats.shape[1])
        self.data['videos'][video] = dict(
            file=file, num_frames=len(feats), labels=labels, split=split)
        encoded = json.dumps(self.data).encode('utf-8')
        atomic_write(self.path, lambda f: f.write(encoded))


@torch.no_grad()
def pooled_features(model: nn.Module, data: dict, amp: bool) -> torch.Tensor:
    """Globally average-pooled last backbone output [N, D], float32, CPU."""
    inputs = model.data_preprocessor(data, False)['inputs']
    with torch.autocast('cuda', dtype=torch.float16, enabled=amp):
        feats = model.backbone(inputs)
    if isinstance(feats, (tuple, list)):
        feats = feats[-1]
    if feats.dim() == 4:
        feats = feats.mean(dim=(2, 3))
    if feats.dim() != 2:
        raise ValueError(
            f'The backbone output has shape {tuple(feats.shape)}; expected '
            f'[N, C, H, W] or [N, D] (for a ViT set out_type="cls_token").')
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


def extract_features(args: argparse.Namespace) -> List[str]:
    """Extract the videos not yet complete in ``args.out_dir``.

    Returns:
        The videos computed by this run.
    """
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))

    dataset = build_frame_dataset(cfg, args.split)
    videos = group_frames(dataset)
    fps = args.fps or getattr(dataset, 'metainfo', {}).get('fps', 1.0)
    checkpoint = (
        osp.abspath(args.checkpoint)
        if osp.exists(args.checkpoint) else args.checkpoint)
    source = dict(
        checkpoint=checkpoint, config=osp.abspath(args.config), fps=fps)
    os.makedirs(args.out_dir, exist_ok=True)
    index = FeatureIndex(args.out_dir, source)
    todo = [
        video for video, frames in videos.items()
        if not index.is_complete(video, len(frames['indices']))
    ]
    print_log(
        f'{len(videos) - len(todo)} of {len(videos)} videos already in '
        f'{args.out_dir}; extracting {len(todo)}',
        logger='current')
    if not todo:
        return []

    model = build_model(cfg, args.checkpoint, args.device)
    loader_cfg = copy.deepcopy(cfg[f'{args.split}_dataloader'])
    loader_cfg.pop('batch_sampler', None)
    loader_cfg.update(
        dataset=Subset(dataset,
                       [i for v in todo for i in videos[v]['indices']]),
        sampler=dict(type='DefaultSampler', shuffle=False),
        batch_size=args.batch_size,
        drop_last=False,
        persistent_workers=False)
    loader = Runner.build_dataloader(loader_cfg)

    lengths = [len(videos[v]['indices']) for v in todo]
    batches = (
        pooled_features(model, data, args.amp)
        for data in tqdm(loader, unit='batch'))
    for feats, video in zip(split_by_video(batches, lengths), todo):
        index.add(video, feats, videos[video]['labels'], args.split)
    return todo


def main(argv: Optional[Sequence[str]] = None) -> None:
    extract_features(parse_args(argv))


if __name__ == '__main__':
    main()
