"""Check a prepared data root: annotations, frame files, JPEG decoding.

    python tools/data/verify_phase_dataset.py data/cholec80 [--videos ...]

Prints one line per problem (file: problem), then what it checked
(videos, frames) and the number of problems, and exits with status 1 if there
is any. Re-prepare a bad video by deleting its frame folder and rerunning
``prepare_phase_dataset.py`` with the same settings.
"""
import argparse
import sys
from typing import Optional, Sequence

from mmdistill.datasets import SurgicalDataError, find_bad_frames, load_meta


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Check every frame of a prepared surgical dataset.')
    parser.add_argument('data_root', help='prepared data root')
    parser.add_argument('--videos', nargs='+', help='check only these')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        problems = find_bad_frames(args.data_root, args.videos)
        prepared = load_meta(args.data_root)['videos']
    except SurgicalDataError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    for problem in problems:
        print(problem)
    videos = [v for v in args.videos or prepared if v in prepared]
    frames = sum(prepared[v]['num_frames'] for v in videos)
    print(f'{args.data_root}: checked {len(videos)} videos, {frames} frames '
          f'(annotations, frame files, JPEG decoding): {len(problems)} '
          'problems')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
