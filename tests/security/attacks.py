"""Hostile checkpoints, crafted here: each attack turns a clean checkpoint
into one that would run code (writing a sentinel file) or corrupt memory if
loaded unsafely.

Every attack writes ``dst`` from the clean checkpoint file ``carrier``, so
the hostile file is otherwise exactly what the entry point expects (a real
resume checkpoint stays a real resume checkpoint).
"""
import io
import os
import pickle
import shlex
import zipfile
from dataclasses import dataclass, field
from typing import Callable, Dict

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from numpy.core.multiarray import _reconstruct, scalar

SENTINEL = 'MMDISTILL_PWNED'


class RunsShell:
    """Pickles as ``os.system('touch SENTINEL')``."""

    def __init__(self, sentinel: str):
        self.sentinel = sentinel

    def __reduce__(self):
        return (os.system, (f'touch {shlex.quote(self.sentinel)}', ))


class _InitOfHistoryBuffer:

    def __reduce__(self):
        return (getattr, (HistoryBuffer, '__init__'))


class GetattrChain:
    """``getattr(getattr(HistoryBuffer, '__init__'), '__globals__')``: from
    an allowed class to a module's globals (then to ``os``)."""

    def __reduce__(self):
        return (getattr, (_InitOfHistoryBuffer(), '__globals__'))


class ObjectArrayFromBuffer:
    """``np.ndarray((2,), dtype('O'), buffer)``: object pointers read from
    checkpoint bytes. Zero bytes (NULL pointers), so an unsafe loader does
    not crash the test process when it frees the array."""

    def __reduce__(self):
        return (np.ndarray, ((2, ), np.dtype('O'), b'\0' * 16))


class _ForgedFloatDtype:
    """A float64 dtype whose pickled state claims object fields and flags."""

    def __reduce__(self):
        return (np.dtype, ('f8', False, True),
                (3, '|', None, ('a', ), {'a': (np.dtype('O'), 0)}, 8, 1, 0x3f))


class ForgedDtypeArray:
    """numpy's own array pickle, with a forged dtype over raw bytes."""

    def __reduce__(self):
        return (_reconstruct, (np.ndarray, (0, ), b'b'),
                (1, (2, ), _ForgedFloatDtype(), False, b'\0' * 16))


class ObjectScalarFromBuffer:
    """``numpy scalar`` of a structured dtype with an object field, from
    raw bytes."""

    def __reduce__(self):
        return (scalar, (np.dtype([('a', 'O')]), b'\0' * 8))


def _with(carrier: str, dst: str, **meta) -> None:
    checkpoint = torch.load(carrier, weights_only=True)
    checkpoint.setdefault('meta', {}).update(meta)
    torch.save(checkpoint, dst)


def _config_code(sentinel: str) -> str:
    command = f'touch {shlex.quote(sentinel)}'
    return f"status = __import__('os').system({command!r})\ngpu_ids = [0]\n"


def _swap_data_pkl(carrier: str, dst: str, sentinel: str) -> None:
    """Replace ``data.pkl`` inside the carrier's zip, keeping every other
    record (and the tensors' storages)."""
    with zipfile.ZipFile(carrier) as src:
        records = [(info, src.read(info)) for info in src.infolist()]
    payload = io.BytesIO()
    pickle.Pickler(payload, protocol=2).dump(
        {'state_dict': {}, 'meta': {'x': RunsShell(sentinel)}})
    with zipfile.ZipFile(dst, 'w', zipfile.ZIP_STORED) as out:
        for info, data in records:
            if info.filename.endswith('/data.pkl'):
                data = payload.getvalue()
            out.writestr(info, data)


@dataclass(frozen=True)
class Attack:
    """``write(carrier, dst, sentinel)`` makes the hostile file; ``env`` is
    set while loading it."""
    name: str
    write: Callable[[str, str, str], None]
    env: Dict[str, str] = field(default_factory=dict)
    # Only entry points that read this config text can be refused by it;
    # every other one must simply never execute it.
    config_key: str = ''

    def __str__(self) -> str:
        return self.name


ATTACKS = (
    Attack('reduce-os-system',
           lambda c, d, s: _with(c, d, payload=RunsShell(s))),
    Attack('getattr-chain',
           lambda c, d, s: _with(c, d, payload=GetattrChain())),
    Attack('object-array-buffer',
           lambda c, d, s: _with(c, d, payload=ObjectArrayFromBuffer())),
    Attack('forged-dtype-array',
           lambda c, d, s: _with(c, d, payload=ForgedDtypeArray())),
    Attack('object-scalar-buffer',
           lambda c, d, s: _with(c, d, payload=ObjectScalarFromBuffer())),
    Attack('swapped-data-pkl', _swap_data_pkl),
    Attack('meta-config-code',
           lambda c, d, s: _with(c, d, config=_config_code(s)),
           config_key='config'),
    Attack('meta-cfg-code',
           lambda c, d, s: _with(c, d, cfg=_config_code(s)),
           config_key='cfg'),
    Attack('env-no-weights-only',
           lambda c, d, s: _with(c, d, payload=RunsShell(s)),
           env={'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD': '1'}),
)
ATTACK_BY_NAME = {attack.name: attack for attack in ATTACKS}
