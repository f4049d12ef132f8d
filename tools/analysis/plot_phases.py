"""Draw phase timelines and a confusion matrix from official label files.

    python tools/analysis/plot_phases.py --gt-dir GT --pred-dir PRED \\
        --dataset {cholec80,m2cai16} --out-dir OUT [--fps F] [--overwrite]
        [--method NAME]

GT and PRED are paired like ``eval_phase.py`` does. Writes
``OUT/<video>_ribbon.png`` per video (ground truth over prediction, one
colour per phase, errors in black, strict and relaxed accuracy in the
title) and ``OUT/confusion_matrix.png`` (rows
normalised over all videos). Each PNG is written to a temporary file and
renamed when complete; existing ribbons are kept unless ``--overwrite``, so
an interrupted run resumes where it stopped.
"""
import argparse
import sys
from typing import List, Optional

from mmdistill.datasets.phases import get_phases
from mmdistill.evaluation import (LabelFileError, evaluate_phases,
                                  read_label_dirs)
from mmdistill.visualization import save_phase_figures


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Plot phase timelines and a confusion matrix')
    parser.add_argument('--gt-dir', required=True,
                        help='directory of ground-truth label files')
    parser.add_argument('--pred-dir', required=True,
                        help='directory of prediction label files')
    parser.add_argument('--dataset', required=True,
                        choices=['cholec80', 'm2cai16'])
    parser.add_argument('--out-dir', required=True, help='PNG directory')
    parser.add_argument('--fps', type=float, default=1.0,
                        help='frames per second of the label files (x axis)')
    parser.add_argument('--overwrite', action='store_true',
                        help='redraw ribbons that already exist')
    parser.add_argument('--method', help='model name for the titles')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    try:
        videos = read_label_dirs(args.gt_dir, args.pred_dir, args.dataset)
    except LabelFileError as e:
        sys.exit(f'error: {e}')
    relaxed = evaluate_phases(videos, args.dataset, args.fps,
                              'official')['official']['per_video']
    out_dir = save_phase_figures(
        videos,
        get_phases(args.dataset),
        args.out_dir,
        args.fps,
        args.overwrite,
        method=args.method,
        relaxed_accuracy={n: v['accuracy']
                          for n, v in relaxed.items()})
    print(f'figures written to {out_dir}')


if __name__ == '__main__':
    main()
