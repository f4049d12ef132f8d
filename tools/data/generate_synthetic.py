"""Write synthetic surgical videos with Cholec80-format annotations.

    python tools/data/generate_synthetic.py data/synthetic_raw \\
        [--num-videos 6] [--seconds 60 120] [--size 160 128] [--fps 25]
        [--seed 0]

The output has the layout of the Cholec80 download (``videos/``,
``phase_annotations/``, ``tool_annotations/``); prepare it with
``tools/data/prepare_phase_dataset.py --dataset cholec80``. Deterministic
given the seed; rerunning keeps the videos already written.
"""
import argparse
import sys
import time
from typing import Optional, Sequence

from mmdistill.datasets import generate_synthetic_dataset


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate synthetic surgical videos (Cholec80 format).')
    parser.add_argument('out_dir', help='output folder')
    parser.add_argument('--num-videos', type=int, default=6)
    parser.add_argument(
        '--seconds',
        type=float,
        nargs=2,
        default=(60., 120.),
        metavar=('MIN', 'MAX'),
        help='range of video durations')
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        default=(160, 128),
        metavar=('WIDTH', 'HEIGHT'),
        help='frame size')
    parser.add_argument('--fps', type=int, default=25)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    videos = generate_synthetic_dataset(
        args.out_dir,
        num_videos=args.num_videos,
        seconds=tuple(args.seconds),
        size=tuple(args.size),
        fps=args.fps,
        seed=args.seed)
    print(
        f'{args.out_dir}: {len(videos)} videos '
        f'({videos[0]}..{videos[-1]}) in {time.perf_counter() - start:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
