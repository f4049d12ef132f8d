"""Evaluate phase predictions stored as official-format label files.

    python tools/analysis/eval_phase.py --gt-dir GT --pred-dir PRED \\
        --dataset {cholec80,m2cai16} --fps F [--mode official|strict|both] \\
        [--out result.json]

Every ``*.txt`` in GT (except ``*_pred.txt``) is a ground-truth file (a
header line, then ``frame<TAB>phase-name`` rows); its prediction in PRED has
the same name or is ``<stem>_pred.txt``. ``--mode official`` reproduces the
community's MATLAB script (relaxed boundary of 10 * F frames), ``--mode
strict`` gives unrelaxed video-wise metrics plus edit score and F1@{10,25,50}.
The JSON written by ``--out`` has ``accuracy``, ``jaccard``, ``precision``,
``recall`` as ``{"mean", "std"}`` (NaN as null) and ``per_phase``; it is
written to a temporary file and renamed when complete.
"""
import argparse
import sys
from typing import List, Optional

from mmdistill.evaluation import (LabelFileError, evaluate_phases,
                                  format_report, read_label_dirs,
                                  results_to_json)
from mmdistill.utils import write_text_atomic


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Evaluate surgical phase predictions (official files)')
    parser.add_argument('--gt-dir', required=True,
                        help='directory of ground-truth label files')
    parser.add_argument('--pred-dir', required=True,
                        help='directory of prediction label files')
    parser.add_argument('--dataset', required=True,
                        choices=['cholec80', 'm2cai16'])
    parser.add_argument('--fps', type=float, required=True,
                        help='frames per second of the label files')
    parser.add_argument('--mode', default='official',
                        choices=['official', 'strict', 'both'])
    parser.add_argument('--out', help='write the results as JSON here')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    try:
        videos = read_label_dirs(args.gt_dir, args.pred_dir, args.dataset)
        reports = evaluate_phases(videos, args.dataset, args.fps, args.mode)
    except (LabelFileError, ValueError) as e:
        sys.exit(f'error: {e}')
    for mode, report in reports.items():
        print(format_report(mode, report))
    if args.out:
        write_text_atomic(args.out,
                          results_to_json(reports, args.dataset, args.fps))
        print(f'results written to {args.out}')


if __name__ == '__main__':
    main()
