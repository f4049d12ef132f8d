"""Speed of phase inference: offline frames/s, online latency per frame.

    python tools/analysis/infer_speed.py [--depths 18 50] [--size 250] \\
        [--device cpu|cuda] [--offline-frames 64] [--online-frames 32] \\
        [--growth-frames 2000] [--repeats 3] [--batch-size 32]

Random-weight ResNet frame models (the Cholec80 fine-tuning config) with an
MS-TCN offline and a causal MS-TCN (TeCNO) online, through
``mmdistill.apis.PhaseInferencer``; decoding excluded. What each column
means: :mod:`mmdistill.apis.inference_speed`. Prints a markdown table.
"""
import argparse
import os
from typing import Optional, Sequence

import torch

from mmdistill.apis.inference_speed import (SpeedSettings, format_table,
                                            measure_speed)


def parse_args(argv: Optional[Sequence[str]] = None) -> SpeedSettings:
    parser = argparse.ArgumentParser(
        description='Offline frames/s and online latency of phase inference')
    parser.add_argument('--depths', type=int, nargs='+', default=[18, 50],
                        choices=[18, 34, 50, 101])
    parser.add_argument('--size', type=int, default=250)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--offline-frames', type=int, default=64)
    parser.add_argument('--online-frames', type=int, default=32)
    parser.add_argument('--growth-frames', type=int, default=2000)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--batch-size', type=int, default=32)
    args = parser.parse_args(argv)
    if args.growth_frames < 120:
        parser.error('--growth-frames must be >= 120 (latency near t=100 '
                     'is compared with the end)')
    return SpeedSettings(args.depths, args.size, args.offline_frames,
                         args.online_frames, args.growth_frames, args.repeats,
                         args.batch_size, args.device)


def main(argv: Optional[Sequence[str]] = None) -> None:
    settings = parse_args(argv)
    threads = os.environ.get('OMP_NUM_THREADS', 'unset')
    print(f'device {settings.device}; torch threads '
          f'{torch.get_num_threads()} (OMP_NUM_THREADS={threads}); '
          f'{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}')
    results = measure_speed(settings)
    print(f'load average at the end {os.getloadavg()[0]:.1f}')
    print(format_table(results, settings))


if __name__ == '__main__':
    main()
