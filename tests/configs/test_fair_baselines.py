"""Each plain self-supervised config is its distilled twin minus
distillation (issue 10, fair baselines): same InfoNCE weight, schedule, data
and seed. A comparison of the two then changes only the teacher and its KL.

Pairing by name, for the families in ``FAMILIES``:
- ``configs/<algo>/<algo>_X.py`` <-> ``configs/dsl/dsl-<algo>_X.py``;
- ``configs/benchmarks/speed/<algo>_X.py`` <->
  ``configs/benchmarks/speed/dsl-<algo>_<student>-teacher-<teacher>_Y.py``
  where ``<algo>_X`` is the distilled name without ``dsl-`` and
  ``-teacher-<teacher>``.
A plain or distilled config of a family without its twin fails unless it is
in ``UNPAIRED`` with a reason; an ``UNPAIRED`` entry that has a twin fails
too, so the list cannot go stale.
"""
import os.path as osp
import re
from typing import Optional

import pytest

from config_resolution import config_paths, differing_keys, resolve

FAMILIES = ('mocov2', 'simclr', 'byol')
SPEED = 'configs/benchmarks/speed/'

# Dotted key prefixes allowed to differ between twins, with the reason.
DISTILLATION_KEYS = {
    'model.type': 'the distilled algorithm class',
    'model.teacher': 'the frozen teacher',
    'model.teachers': 'the frozen teachers of a multi-teacher student',
    'model.distill_loss': 'the KL distillation loss',
    'model.queue_len': "BYOL's teacher/student key queue for the KL (plain "
    'BYOL has no queue)',
}

# Distilled or plain configs without a twin, with the reason.
UNPAIRED = {
    'configs/dsl/dsl-mocov2_convnext-tiny_4xb32-coslr-200e_cholec80.py':
    'student backbone study; the plain baseline is ResNet-50 only',
    'configs/dsl/dsl-mocov2_deit-small-p16-patchmean_4xb32-coslr-200e_'
    'cholec80.py': 'student backbone study',
    'configs/dsl/dsl-mocov2_deit-small-p16_4xb32-coslr-200e_cholec80.py':
    'student backbone study',
    'configs/dsl/dsl-mocov2_efficientnet-b0_4xb32-coslr-200e_cholec80.py':
    'student backbone study',
    'configs/dsl/dsl-mocov2_mobilenet-v2_4xb32-coslr-200e_cholec80.py':
    'student backbone study',
    'configs/dsl/dsl-mocov2_mobilenet-v3-small_4xb32-coslr-200e_cholec80.py':
    'student backbone study',
    'configs/dsl/dsl-mocov2_timm-convnextv2-tiny_4xb32-coslr-200e_'
    'cholec80.py': 'student backbone study',
    'configs/dsl/dsl-mocov2_resnet50_teacher-deit-small-p16_4xb32-coslr-'
    '200e_cholec80.py': 'teacher variant of dsl-mocov2_resnet50; its plain '
    'twin is that of dsl-mocov2_resnet50_4xb32-coslr-200e_cholec80.py',
    'configs/dsl/dsl-mocov2_resnet50_teacher-2x_4xb32-coslr-200e_'
    'cholec80.py': 'two-teacher variant of dsl-mocov2_resnet50; its plain '
    'twin is that of dsl-mocov2_resnet50_4xb32-coslr-200e_cholec80.py',
    'configs/dsl/dsl-mocov2_resnet18_teacher-2x_1xb16-coslr-2e_synthetic.py':
    'two-teacher variant of the CPU demo student; its plain twin is that of '
    'dsl-mocov2_resnet18_1xb16-coslr-2e_synthetic.py',
    'configs/dsl/dsl-mocov2_resnet18_teacher-efficientnet-lite2_1xb16-coslr-'
    '2e_synthetic.py': 'EfficientNet-Lite2 teacher variant of the CPU demo '
    'student; its plain twin is that of '
    'dsl-mocov2_resnet18_1xb16-coslr-2e_synthetic.py',
    'configs/benchmarks/speed/dsl-mocov2_resnet18-teacher-2x-resnet18_1xb32_'
    'speed.py': 'two-teacher cost against the one-teacher speed config; '
    'its plain twin is that of '
    'dsl-mocov2_resnet18-teacher-resnet18_1xb32_speed.py',
    'configs/dsl/dsl-mocov2_resnet18_1xb16-coslr-2e_synthetic_gpuaug.py':
    'GPU-augmentation check of the CPU demo, no plain run',
}


def family(path: str) -> Optional[str]:
    name = osp.basename(path)
    for algo in FAMILIES:
        if name.startswith((f'{algo}_', f'dsl-{algo}_')):
            return algo
    return None


def plain_twin(distilled: str) -> str:
    folder, name = osp.split(distilled)
    name = re.sub(r'-teacher-[^_]+', '', name[len('dsl-'):])
    if folder + '/' == SPEED:
        return SPEED + name
    return f'configs/{family(distilled)}/{name}'


def in_scope(path: str) -> bool:
    folder = osp.dirname(path) + '/'
    return family(path) is not None and (
        folder in (SPEED, 'configs/dsl/')
        or folder in {f'configs/{a}/' for a in FAMILIES})


PATHS = [p for p in config_paths() if in_scope(p)]
DISTILLED = [p for p in PATHS if osp.basename(p).startswith('dsl-')]
PAIRS = {plain_twin(d): d for d in DISTILLED if plain_twin(d) in PATHS}


def test_every_config_is_paired_or_listed():
    paired = set(PAIRS) | set(PAIRS.values())
    unlisted = [p for p in PATHS if p not in paired and p not in UNPAIRED]
    stale = [p for p in UNPAIRED if p in paired or p not in PATHS]
    assert not unlisted, f'no twin and not in UNPAIRED: {unlisted}'
    assert not stale, f'UNPAIRED entries that have a twin or no file: {stale}'


@pytest.mark.parametrize('plain', sorted(PAIRS))
def test_plain_is_distilled_minus_distillation(plain):
    distilled = PAIRS[plain]
    keys = differing_keys(resolve(plain), resolve(distilled))
    other = [k for k in keys
             if not any(k == p or k.startswith(p + '.')
                        for p in DISTILLATION_KEYS)]
    assert not other, (
        f'{plain} and {distilled} differ outside distillation at: {other}')
