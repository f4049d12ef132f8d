"""Planning the phase benchmark: every method × label fraction × low-data seed.

A *run* fine-tunes one method's checkpoint on one label fraction of the
training videos; below 100 % the labelled videos are the fixed subset of a
low-data *seed* (:func:`mmdistill.datasets.low_data_subset`, the dataset's
``low_data_seed``), the same videos for every method, so methods compare on
equal data.
"""
import os.path as osp
import re
from dataclasses import dataclass
from typing import Dict, List, Sequence

NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9._+-]*')


@dataclass(frozen=True)
class Run:
    """One checkpoint fine-tuned on one label fraction and low-data seed."""
    method: str
    checkpoint: str
    fraction: float
    seed: int

    @property
    def key(self) -> str:
        """``method/<percent>pct/seed<k>``, also its folder under ``runs/``."""
        return f'{self.method}/{percent(self.fraction)}pct/seed{self.seed}'


def percent(fraction: float) -> str:
    """``0.125`` -> ``'12.5'``."""
    return f'{fraction * 100:g}'


def parse_checkpoints(items: Sequence[str]) -> Dict[str, str]:
    """``NAME=PATH`` pairs as ``{name: path}``, local paths made absolute.

    Raises:
        ValueError: For a malformed or repeated name, or a local file that
            does not exist (URLs such as ``torchvision://`` are not checked).
    """
    checkpoints: Dict[str, str] = {}
    for item in items:
        name, sep, path = item.partition('=')
        if not sep or not NAME.fullmatch(name) or not path:
            raise ValueError(
                f'--checkpoints {item!r}: expected NAME=PATH with a NAME of '
                'letters, digits, ".", "_", "+", "-" (it names the table row '
                'and a directory), e.g. dsl-mocov2=work_dirs/dsl/backbone.pth')
        if name in checkpoints:
            raise ValueError(f'--checkpoints: name {name!r} is given twice')
        if '://' not in path:
            if not osp.isfile(path):
                raise ValueError(f'--checkpoints {item!r}: no file {path}')
            path = osp.abspath(path)
        checkpoints[name] = path
    return checkpoints


def plan_runs(checkpoints: Dict[str, str], fractions: Sequence[float],
              seeds: int) -> List[Run]:
    """Every (checkpoint, fraction, seed); fraction 1.0 has one seed (all
    training videos).

    Raises:
        ValueError: For a fraction outside (0, 1], a repeated fraction or
            fewer than one seed.
    """
    for fraction in fractions:
        if not 0 < fraction <= 1:
            raise ValueError(f'--fractions: {fraction} is not in (0, 1]')
    if len(set(fractions)) != len(fractions):
        raise ValueError(f'--fractions: {list(fractions)} repeats a value')
    if seeds < 1:
        raise ValueError(f'--seeds-per-fraction must be >= 1, got {seeds}')
    return [
        Run(method, checkpoint, fraction, seed)
        for method, checkpoint in checkpoints.items() for fraction in fractions
        for seed in range(1 if fraction == 1 else seeds)
    ]
