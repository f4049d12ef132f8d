"""Evaluate a checkpoint with a config's test loop.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out-dir DIR]
        [--cfg-options k=v ...] [--launcher {none,pytorch,slurm,mpi}]

``--out-dir`` is passed to evaluators that write files (``PhaseMetric``
writes official-format prediction files, timelines and a confusion matrix).
"""
import argparse
import os

from mmengine.config import DictAction

from mmdistill.apis import build_runner, load_config
from mmdistill.apis.runner import default_work_dir, set_phase_output
from mmdistill.utils import finish_distributed


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs')
    parser.add_argument(
        '--out-dir',
        help='directory for the official-format prediction files, timelines '
        'and confusion matrix written by PhaseMetric (its out_dir)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    if args.work_dir is None and cfg.get('work_dir') is None:
        args.work_dir = default_work_dir(args.config)
    if args.out_dir is not None:
        set_phase_output(cfg, args.out_dir)
    build_runner(
        cfg,
        work_dir=args.work_dir,
        launcher=args.launcher,
        load_from=args.checkpoint).test()
    finish_distributed()


if __name__ == '__main__':
    main()
