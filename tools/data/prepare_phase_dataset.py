"""Prepare Cholec80 / M2CAI16 (or synthetic) videos for mmdistill.

    python tools/data/prepare_phase_dataset.py --dataset cholec80 \\
        data/cholec80_raw data/cholec80 [--fps 1] [--size 250] [--workers 8]
        [--skip-bad] [--videos video01 video02] [--frame-tolerance 25]
        [--keep-aspect]

INPUT_DIR is the extracted official download (layouts in docs/data.md);
OUTPUT_DIR receives ``frames/<video>/<k:06d>.jpg`` (margin cut, resized),
``annotations/<video>.tsv`` and ``meta.json``. Rerunning finishes only the
videos that are not done; a bad video stops the run with a message naming
the file, or is logged and skipped with ``--skip-bad``.
"""
import argparse
import sys
from typing import Optional, Sequence

from mmdistill.datasets import (PrepareOptions, SurgicalDataError,
                                prepare_dataset)
from mmdistill.datasets.video import parse_size


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Extract cut, resized JPEG frames and unified phase '
        'annotations from surgical videos.')
    parser.add_argument(
        '--dataset',
        required=True,
        choices=['cholec80', 'm2cai16'],
        help='annotation format and phase vocabulary (synthetic data is '
        'cholec80)')
    parser.add_argument('input_dir', help='extracted official download')
    parser.add_argument('output_dir', help='prepared data root')
    parser.add_argument(
        '--fps',
        type=float,
        default=1.0,
        help='frames per second to extract (1 for frame models and SSL, 5 '
        'for temporal features)')
    parser.add_argument(
        '--size',
        type=parse_size,
        default=(250, 250),
        help='output size N or WxH (default 250, as in the paper)')
    parser.add_argument(
        '--workers', type=int, default=4, help='worker processes')
    parser.add_argument(
        '--skip-bad',
        action='store_true',
        help='log and skip bad videos instead of stopping')
    parser.add_argument(
        '--videos', nargs='+', help='prepare only these video ids')
    parser.add_argument(
        '--frame-tolerance',
        type=int,
        default=25,
        help='largest tolerated difference in frames between a video and '
        'its annotation (default 25, one second)')
    parser.add_argument(
        '--fov-threshold',
        type=int,
        default=15,
        help='grey level separating the field of view from the black margin')
    parser.add_argument('--jpeg-quality', type=int, default=95)
    parser.add_argument(
        '--keep-aspect',
        action='store_true',
        help='pad the cut frame with black to the output aspect (square by '
        'default) instead of stretching it, for non-square sources')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    options = PrepareOptions(
        fps=args.fps,
        size=args.size,
        frame_tolerance=args.frame_tolerance,
        fov_threshold=args.fov_threshold,
        jpeg_quality=args.jpeg_quality,
        keep_aspect=args.keep_aspect)
    try:
        summary = prepare_dataset(
            args.input_dir,
            args.output_dir,
            args.dataset,
            options,
            workers=args.workers,
            skip_bad=args.skip_bad,
            videos=args.videos)
    except SurgicalDataError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    print(f'{args.output_dir}: prepared {len(summary.prepared)} videos '
          f'({summary.frames} frames, '
          f'{summary.frames_per_second_per_worker:.1f} frames/s per worker), '
          f'{len(summary.reused)} already done, {len(summary.skipped)} '
          'skipped')
    for video, reason in summary.skipped.items():
        print(f'  skipped {video}: {reason}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
