"""Extract per-video feature sequences for the temporal phase model.

    python tools/extract_features.py CONFIG CHECKPOINT --out-dir DIR
        [--split test] [--batch-size 64] [--amp] [--fps F] [--device cuda]
        [--cfg-options k=v ...]

CONFIG has a ``model.backbone`` and a ``{split}_dataloader`` over labelled
frames ordered by video, then frame; CHECKPOINT is a full checkpoint or
backbone-only weights. Writes ``DIR/<video>.npy`` and ``DIR/index.json``
(:mod:`mmdistill.datasets.feature_index`); a rerun skips complete videos.
See :func:`mmdistill.apis.extract_features`.
"""
import argparse
from typing import List, Optional, Sequence

import torch
from mmengine.config import DictAction

from mmdistill.apis import extract_features


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


def main(argv: Optional[Sequence[str]] = None) -> List[str]:
    """Extract; returns the videos computed by this call."""
    args = parse_args(argv)
    return extract_features(
        args.config,
        args.checkpoint,
        args.out_dir,
        split=args.split,
        batch_size=args.batch_size,
        amp=args.amp,
        fps=args.fps,
        device=args.device,
        cfg_options=args.cfg_options).computed


if __name__ == '__main__':
    main()
