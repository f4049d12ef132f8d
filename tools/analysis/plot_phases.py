"""Draw phase timelines and a confusion matrix from official label files.

    python tools/analysis/plot_phases.py --gt-dir GT --pred-dir PRED \\
        --dataset {cholec80,m2cai16} --out-dir OUT [--fps F] [--overwrite]

GT and PRED are paired like ``eval_phase.py`` does. Writes
``OUT/<video>_ribbon.png`` per video (ground truth over prediction, one
colour per phase, errors in black) and ``OUT/confusion_matrix.png`` (rows
normalised over all videos). Each PNG is written to a temporary file and
renamed when complete; existing ribbons are kept unless ``--overwrite``, so
an interrupted run resumes where it stopped.
"""
import argparse
import sys
from pathlib import Path
from typing import List, Optional

from mmdistill.datasets.phases import get_phases
from mmdistill.evaluation import (LabelFileError, pair_label_files,
                                  read_label_pair)
from mmdistill.visualization import (draw_confusion_matrix, draw_phase_ribbon,
                                     phase_confusion_matrix, save_figure)


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
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    phases = get_phases(args.dataset)
    out_dir = Path(args.out_dir)
    try:
        videos = {
            name: read_label_pair(gt_file, pred_file, args.dataset)
            for name, gt_file, pred_file in pair_label_files(
                args.gt_dir, args.pred_dir)
        }
    except LabelFileError as e:
        sys.exit(f'error: {e}')
    for name, (gt, pred) in videos.items():
        ribbon = out_dir / f'{name}_ribbon.png'
        if args.overwrite or not ribbon.exists():
            save_figure(draw_phase_ribbon(gt, pred, phases, args.fps, name),
                        ribbon)
    counts = sum(
        phase_confusion_matrix(gt, pred, len(phases))
        for gt, pred in videos.values())
    save_figure(draw_confusion_matrix(counts, phases),
                out_dir / 'confusion_matrix.png')
    print(f'figures written to {out_dir}')


if __name__ == '__main__':
    main()
