"""Evaluate a checkpoint with a config's test loop.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out-dir DIR]
        [--cfg-options k=v ...] [--launcher {none,pytorch,slurm,mpi}]

``--out-dir`` is passed to evaluators that write files (``PhaseMetric``
writes official-format prediction files, timelines and a confusion matrix).
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmdistill.utils import set_dataloader_defaults, setup_distributed_backend


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
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.out_dir is not None:
        evaluators = cfg.test_evaluator if isinstance(
            cfg.test_evaluator, list) else [cfg.test_evaluator]
        for evaluator in evaluators:
            if evaluator.get('type') == 'PhaseMetric':
                evaluator.out_dir = args.out_dir
    cfg.load_from = args.checkpoint
    set_dataloader_defaults(cfg)
    setup_distributed_backend(cfg, args.launcher)
    runner = (
        Runner.from_cfg(cfg) if 'runner_type' not in cfg else
        RUNNERS.build(cfg))
    runner.test()


if __name__ == '__main__':
    main()
