"""Plot the phase k-NN monitor's accuracy and macro F1 per epoch of a run.

    python tools/analysis/plot_monitor.py RUN/vis_data/scalars.json OUT.png \\
        [--reference OTHER_RUN/vis_data/scalars.json] \\
        [--reference-label teacher] [--title TITLE]

Reads the ``knn/accuracy`` and ``knn/macro_f1`` scalars that
``PhaseKNNMonitorHook`` logs (mmengine's ``vis_data/scalars.json``) and
draws them against the epoch. ``--reference`` adds the last monitor values
of another run (e.g. the SPT teacher's) as dashed lines. The PNG is written
to a temporary file and renamed when complete.
"""
import argparse
import sys
from typing import List, Optional

from mmdistill.visualization import (draw_monitor_curve, read_monitor_scalars,
                                     save_figure)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Plot the phase k-NN monitor curve of a run')
    parser.add_argument('scalars', help="the run's vis_data/scalars.json")
    parser.add_argument('out', help='PNG to write')
    parser.add_argument('--reference',
                        help='scalars.json of a run whose last monitor '
                        'values are drawn as dashed lines')
    parser.add_argument('--reference-label', default='reference')
    parser.add_argument('--title')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    try:
        curves = read_monitor_scalars(args.scalars)
        reference = None if args.reference is None else {
            key: points[-1][1]
            for key, points in read_monitor_scalars(args.reference).items()
            if points
        }
    except (OSError, ValueError) as err:
        sys.exit(f'error: {err}')
    save_figure(
        draw_monitor_curve(curves, reference, args.reference_label,
                           args.title), args.out)
    print(f'monitor curve written to {args.out}')


if __name__ == '__main__':
    main()
