"""Compare SSL checkpoints on surgical phase recognition, in one command.

    python tools/benchmark_phase.py \\
        --checkpoints mocov2=work_dirs/mocov2/backbone.pth \\
                      dsl-mocov2=work_dirs/dsl-mocov2/backbone.pth \\
        --fractions 1.0 0.25 0.125 --seeds-per-fraction 3 \\
        [--probe {finetune,linear} | --frame-config CONFIG] \\
        [--temporal-config CONFIG | --no-temporal] [--data-root DIR] \\
        [--frame-cfg-options k=v ...] [--temporal-cfg-options k=v ...] \\
        [--work-dir work_dirs/benchmark_phase] [--dry-run]

Each checkpoint (an SSL checkpoint, backbone-only weights or any layout
mmdistill's ``Pretrained`` initializer reads) is fine-tuned or probed, its
features go to a temporal model, which is tested; ``WORK_DIR/results.md``
reports the protocol, mean ± std over low-data seeds with bootstrap CIs over
test videos, paired comparisons and a label-efficiency plot. Stages are
resumable; ``--dry-run`` lists them with estimated times. The protocol is
:mod:`mmdistill.apis.phase_benchmark`; docs/phase_benchmark.md explains it.
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

from mmengine.config import DictAction

from mmdistill.apis import (BenchmarkError, Settings, dry_run,
                            parse_checkpoints, plan_runs, run_benchmark)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PROBE_CONFIGS = {
    probe: f'configs/benchmarks/phase/{name}_cholec80.py'
    for probe, name in (('finetune', 'finetune_resnet50_1xb32-coslr-20e'),
                        ('linear', 'linear_resnet50_1xb64-coslr-20e'))
}
TEMPORAL_CONFIG = ('configs/benchmarks/temporal/'
                   'tecno_1xb1-100e_cholec80-features.py')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Compare SSL checkpoints on surgical phase recognition: '
        'fine-tune/probe, extract features, temporal model, evaluation.')
    parser.add_argument(
        '--checkpoints',
        nargs='+',
        required=True,
        metavar='NAME=PATH',
        help='SSL checkpoints or backbone-only weights to compare')
    parser.add_argument(
        '--fractions',
        nargs='+',
        type=float,
        default=[1.0],
        help='shares of the labelled training videos, e.g. 1.0 0.25 0.125')
    parser.add_argument(
        '--seeds-per-fraction',
        type=int,
        default=3,
        help='low-data seeds (low_data_seed 0..N-1, fixed video subsets) per '
        'fraction < 1')
    frame = parser.add_mutually_exclusive_group()
    frame.add_argument(
        '--probe',
        choices=sorted(PROBE_CONFIGS),
        default='finetune',
        help='frame model on Cholec80: full fine-tuning or linear probe')
    frame.add_argument(
        '--frame-config', help='frame config instead of the --probe one')
    temporal = parser.add_mutually_exclusive_group()
    temporal.add_argument(
        '--temporal-config',
        default=osp.join(ROOT, TEMPORAL_CONFIG),
        help='temporal model config (default: TeCNO on Cholec80 features)')
    temporal.add_argument(
        '--no-temporal',
        action='store_true',
        help='evaluate the frame model itself (results_frame.md)')
    parser.add_argument(
        '--data-root', help="data root of the frame config's datasets")
    parser.add_argument(
        '--frame-cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='override settings of the frame config')
    parser.add_argument(
        '--temporal-cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='override settings of the temporal config')
    parser.add_argument('--work-dir', default='work_dirs/benchmark_phase')
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='list the planned runs and stages with estimated times; run '
        'nothing')
    return parser


def main(argv: Optional[Sequence[str]] = None) -> str:
    """Run the benchmark; returns the report's path (the plan with
    ``--dry-run``).

    Raises:
        SystemExit: On bad arguments, test videos in training or model
            selection, a stage directory of other inputs or a failed stage,
            with the message.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        runs = plan_runs(
            parse_checkpoints(args.checkpoints), args.fractions,
            args.seeds_per_fraction)
    except ValueError as err:
        parser.error(str(err))
    settings = Settings(
        work_dir=osp.abspath(args.work_dir),
        frame_config=osp.abspath(
            args.frame_config or osp.join(ROOT, PROBE_CONFIGS[args.probe])),
        temporal_config=None
        if args.no_temporal else osp.abspath(args.temporal_config),
        frame_options=args.frame_cfg_options,
        temporal_options=args.temporal_cfg_options,
        data_root=args.data_root and osp.abspath(args.data_root))
    if args.dry_run:
        plan = dry_run(settings, runs)
        print(plan)
        return plan
    try:
        path = run_benchmark(settings, runs)
    except BenchmarkError as err:
        sys.exit(f'error: {err}')
    print(f'results: {path}')
    return path


if __name__ == '__main__':
    main()
