"""The demo on embedded synthetic data: what distillation does for surgical SSL.

    python tools/demo.py [--work-dir work_dirs/demo] [--data-root data/synthetic]
        [--raw-dir data/synthetic_raw]

Synthetic videos → SPT teacher (real EfficientNet-Lite0) → plain and
distilled MoCo v2 students → phase benchmark at two label fractions →
inference on a held-out video; prints one line per stage and the results.
Paths are relative to the current directory (also when run from an installed
package). Rerun to resume. Stages: :mod:`mmdistill.apis.demo`.
"""
import argparse
import os.path as osp
from typing import Optional, Sequence

from mmdistill.apis.demo import run_demo

# The folder holding configs/: the checkout, or mmdistill/.mim when installed.
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def main(argv: Optional[Sequence[str]] = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--data-root', default='data/synthetic')
    parser.add_argument('--raw-dir', default='data/synthetic_raw')
    args = parser.parse_args(argv)
    report, _ = run_demo(ROOT, osp.abspath(args.work_dir),
                         osp.abspath(args.data_root),
                         osp.abspath(args.raw_dir))
    return report


if __name__ == '__main__':
    main()
