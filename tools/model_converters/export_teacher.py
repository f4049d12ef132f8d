"""Export an SPT training checkpoint as the teacher a student config loads.

    python tools/model_converters/export_teacher.py SPT_CHECKPOINT OUT.pth

Keeps the frozen backbone, the projection head and its momentum copy (the
teacher's key head), drops the queue and optimizer state, and records in
``meta`` which public model the backbone came from. The layout is
:mod:`mmdistill.models.pretrained.teacher_export`.
"""
import argparse
from typing import List, Optional

from mmdistill.models.pretrained import export_teacher
from mmdistill.utils import CheckpointError


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='SPT training checkpoint')
    parser.add_argument('dst', help='teacher checkpoint to write')
    args = parser.parse_args(argv)
    try:
        print(export_teacher(args.src, args.dst))
    except CheckpointError as err:
        raise SystemExit(f'CheckpointError: {err}') from err


if __name__ == '__main__':
    main()
