"""Surgical phases of new videos: no preparation, no annotation.

    python tools/infer_video.py VIDEO [VIDEO ...] | FOLDER \\
        --frame-config CFG --frame-checkpoint CKPT \\
        [--temporal-config CFG --temporal-checkpoint CKPT] [--online] \\
        [--fps 1] [--device cpu] [--batch-size 32] [--out-dir DIR] \\
        [--overlay] [--dataset cholec80] [--data-root DIR] [--size 250] \\
        [--keep-aspect]

A FOLDER stands for the videos in it (mp4, avi, mkv, mov, webm, mpg). Per
video, in DIR (default ``work_dirs/infer``): ``<video>_pred.txt`` (official
format, for tools/analysis/eval_phase.py), ``<video>_probs.csv``,
``<video>_ribbon.png`` and with ``--overlay`` ``<video>_overlay.mp4``. See
docs/inference.md.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence

import torch

from mmdistill.apis import InferenceSetupError, PhaseInferencer
from mmdistill.datasets import SurgicalDataError
from mmdistill.datasets.video import parse_size
from mmdistill.utils import CheckpointError

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.mov', '.webm', '.mpg', '.mpeg',
                    '.m4v')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Predict the surgical phases of raw videos')
    parser.add_argument('videos', nargs='+', help='video files or folders')
    parser.add_argument('--frame-config', required=True)
    parser.add_argument('--frame-checkpoint', required=True)
    parser.add_argument('--temporal-config')
    parser.add_argument('--temporal-checkpoint')
    parser.add_argument(
        '--online',
        action='store_true',
        help='causal, frame by frame: the phase at t uses frames <= t only')
    parser.add_argument(
        '--fps', type=float, default=1.0, help='frames per second to infer')
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--out-dir', default='work_dirs/infer')
    parser.add_argument(
        '--overlay',
        action='store_true',
        help='also write the video with its phases drawn on it')
    parser.add_argument(
        '--dataset',
        choices=['cholec80', 'm2cai16'],
        help='phase vocabulary; default from the frame config')
    parser.add_argument(
        '--data-root',
        help='prepared data the frame model trained on (its meta.json gives '
        "the frame size); default the frame config's data_root")
    parser.add_argument(
        '--size',
        type=parse_size,
        help='frame size N or WxH the frame model trained on')
    parser.add_argument(
        '--keep-aspect',
        action='store_true',
        default=None,
        help='pad frames to the aspect instead of stretching (as prepared '
        'with --keep-aspect)')
    args = parser.parse_args(argv)
    if (args.temporal_config is None) != (args.temporal_checkpoint is None):
        parser.error('give --temporal-config and --temporal-checkpoint '
                     'together')
    return args


def list_videos(paths: Sequence[str]) -> List[str]:
    """The files of ``paths``, folders replaced by their videos."""
    videos = []
    for path in paths:
        if osp.isdir(path):
            found = sorted(
                osp.join(path, name) for name in os.listdir(path)
                if name.lower().endswith(VIDEO_EXTENSIONS)
                and not name.startswith('.'))
            if not found:
                raise SurgicalDataError(path, 'no video files in the folder')
            videos += found
        else:
            videos.append(path)
    return videos


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        videos = list_videos(args.videos)
        inferencer = PhaseInferencer(
            args.frame_config,
            args.frame_checkpoint,
            args.temporal_config,
            args.temporal_checkpoint,
            device=args.device,
            dataset=args.dataset,
            data_root=args.data_root,
            size=args.size,
            keep_aspect=args.keep_aspect,
            fps=args.fps,
            batch_size=args.batch_size)
        clips = [inferencer.open(video) for video in videos]
        del clips  # every video is checked before the first one runs
        for video in videos:
            prediction = inferencer(video, online=args.online, progress=True)
            paths = inferencer.save(prediction, args.out_dir, args.overlay)
            print(prediction.summary())
            print('  wrote ' + ', '.join(paths.values()))
    except (CheckpointError, InferenceSetupError, SurgicalDataError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
