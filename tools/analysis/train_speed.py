"""Train-step speed, peak memory and data-pipeline throughput of configs.

    python tools/analysis/train_speed.py CONFIG [CONFIG ...] \\
        [--device cpu|cuda] [--amp] [--channels-last] [--batch-size B] \\
        [--image-size S] [--warmup W] [--iters N] [--data-workers 0 2 ...] \\
        [--data-batches N] [--random-teacher] [--cfg-options K=V ...] \\
        [--pipeline-frames N] [--pipeline-rounds R] [--no-memory] \\
        [--out results.json]

What is measured and how: :mod:`mmdistill.apis.train_speed`; results and
commands: docs/speed.md.
"""
import argparse
from typing import List, Optional, Sequence

import torch
from mmengine.config import DictAction

from mmdistill.apis.train_speed import measure_and_report


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Benchmark training steps and data pipelines of configs')
    parser.add_argument('configs', nargs='+', metavar='CONFIG',
                        help='configs to compare; ratios are against the '
                        'first')
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision (AmpOptimWrapper, CUDA only)')
    parser.add_argument('--channels-last', action='store_true',
                        help='model and inputs in channels-last layout')
    parser.add_argument('--batch-size', type=int,
                        help='samples per step (default: the config\'s '
                        'train_dataloader.batch_size)')
    parser.add_argument('--image-size', type=int, default=224,
                        help='side of the synthetic views of the model step')
    parser.add_argument('--warmup', type=int, default=3,
                        help='untimed steps (and batches) per config')
    parser.add_argument('--iters', type=int, default=10,
                        help='timed rounds over the configs')
    parser.add_argument('--data-workers', type=int, nargs='*', default=[],
                        metavar='N',
                        help='benchmark the data pipeline with each of these '
                        'numbers of workers')
    parser.add_argument('--data-batches', type=int, default=20,
                        help='timed batches of the data pipeline')
    parser.add_argument('--random-teacher', action='store_true',
                        help='random teacher weights even where the teacher '
                        'checkpoint exists')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of every config, e.g. '
                        'model.backbone.depth=18')
    parser.add_argument('--pipeline-frames', type=int, default=0,
                        metavar='N',
                        help='benchmark each config\'s CPU pipeline and '
                        'data preprocessor on N synthetic frames')
    parser.add_argument('--pipeline-rounds', type=int, default=3,
                        help='interleaved rounds of the pipeline benchmark')
    parser.add_argument('--no-memory', action='store_true',
                        help='skip the peak-memory probes (one process per '
                        'config)')
    parser.add_argument('--skip-steps', action='store_true',
                        help='no model steps (only the pipeline and data '
                        'benchmarks)')
    parser.add_argument('--out', help='also write the results as JSON here')
    args = parser.parse_args(argv)
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: no CUDA device is available')
    if args.amp and args.device != 'cuda':
        parser.error('--amp needs --device cuda (mmengine AmpOptimWrapper)')
    if (min(args.iters, args.data_batches, args.pipeline_rounds) < 1
            or args.warmup < 0 or args.pipeline_frames < 0):
        parser.error('--iters, --data-batches and --pipeline-rounds must be '
                     '>= 1, --warmup and --pipeline-frames >= 0')
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    measure_and_report(parse_args(argv))


if __name__ == '__main__':
    main()
