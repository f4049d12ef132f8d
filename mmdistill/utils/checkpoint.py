"""The one checkpoint-loading path of mmdistill, safe under ``weights_only``.

torch >= 2.6 unpickles checkpoints with ``weights_only=True``: only tensors,
containers and allow-listed globals may appear. mmengine 0.10.7 checkpoints
also hold its ``HistoryBuffer`` (in the message hub) and numpy arrays and
scalars, so its resume and ``load_checkpoint`` fail there. The upstream fix
passes ``weights_only=False``, which lets any checkpoint from the internet run
code. We instead allow exactly the globals mmengine checkpoints contain.

``HistoryBuffer`` pickles its statistics methods as
``getattr(HistoryBuffer, 'min')`` (pickle protocol 2 stores nested names so),
so ``builtins.getattr`` must resolve -- but a general ``getattr`` reaches from
any allowed class to arbitrary code. :func:`_history_buffer_getattr` is
registered under that name instead and resolves only the statistics methods
of ``HistoryBuffer``.
"""
import pickle
from typing import Any, Callable, List, Optional, Tuple, Union

import numpy as np
import mmengine.runner.checkpoint as mmengine_checkpoint
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader

from .fileio import atomic_write

_HISTORY_BUFFER_METHODS = frozenset(('min', 'max', 'mean', 'current'))


class CheckpointError(RuntimeError):
    """A checkpoint cannot be used: unsafe content, or keys that do not fit."""


def _history_buffer_getattr(obj: Any, name: str) -> Callable:
    """``getattr`` restricted to the statistics methods of HistoryBuffer."""
    if obj is HistoryBuffer and name in _HISTORY_BUFFER_METHODS:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'refusing getattr({obj!r}, {name!r}): a checkpoint may only use '
        f'getattr for HistoryBuffer.{{{", ".join(sorted(_HISTORY_BUFFER_METHODS))}}}')


def _numpy_globals() -> List[Union[Callable, Tuple[Callable, str]]]:
    """numpy types that appear in mmengine's message hub and meta."""
    from numpy.core.multiarray import _reconstruct, scalar
    items: List[Union[Callable, Tuple[Callable, str]]] = [
        np.ndarray, np.dtype, _reconstruct, scalar,
        (_reconstruct, 'numpy._core.multiarray._reconstruct'),
        (scalar, 'numpy._core.multiarray.scalar'),
    ]
    for name in dir(np.dtypes):
        dtype_cls = getattr(np.dtypes, name)
        if isinstance(dtype_cls, type) and issubclass(dtype_cls, np.dtype):
            items.append(dtype_cls)
    return items


def checkpoint_safe_globals() -> List[Union[Callable, Tuple[Callable, str]]]:
    """The globals (beyond torch's defaults) that a checkpoint may contain."""
    return [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr')
            ] + _numpy_globals()


def _load_url_weights_only(url: str,
                           model_dir: Optional[str] = None,
                           map_location: Any = None,
                           progress: bool = True,
                           **kwargs) -> Any:
    """mmengine's ``load_url`` with ``weights_only=True``.

    ``torch.hub.load_state_dict_from_url`` defaults to ``weights_only=False``,
    so without this every remote scheme of mmengine (``http(s)://``,
    ``torchvision://``, ``open-mmlab://``, ``mmcls://``, which all end in
    ``mmengine.runner.checkpoint.load_url``) would unpickle downloaded files
    with no allow-list.
    """
    kwargs['weights_only'] = True
    return torch.hub.load_state_dict_from_url(
        url,
        model_dir=model_dir,
        map_location=map_location,
        progress=progress,
        **kwargs)


def register_checkpoint_safe_globals() -> None:
    """Make every checkpoint load of mmengine safe under ``weights_only``.

    Allow-lists mmengine's checkpoint content for ``torch.load`` and routes
    mmengine's downloads through :func:`_load_url_weights_only`. Called when
    :mod:`mmdistill` is imported, so mmengine's own loading
    (``Runner.resume``, ``load_checkpoint``, ``load_from``, ``init_cfg``)
    is covered. Idempotent.
    """
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
    mmengine_checkpoint.load_url = _load_url_weights_only


def load_checkpoint_file(filename: str,
                         map_location: Union[str, torch.device] = 'cpu'
                         ) -> Any:
    """Load a checkpoint from a path or URL with the restricted unpickler.

    Accepts every source mmengine's :class:`CheckpointLoader` knows
    (local path, ``http(s)://``, ``torchvision://``, ``open-mmlab://``, ...).

    Raises:
        CheckpointError: if the file holds anything but tensors, containers
            and the allow-listed mmengine/numpy types.
    """
    register_checkpoint_safe_globals()
    try:
        return CheckpointLoader.load_checkpoint(filename, map_location)
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f'Refusing to load checkpoint {filename!r}: it contains pickled '
            f'objects outside the allow-list of mmdistill.utils.checkpoint '
            f'(tensors, containers, mmengine HistoryBuffer, numpy arrays). '
            f'A checkpoint that needs more could run code when loaded; '
            f're-save its state_dict from a trusted environment. '
            f'Details: {err}') from err


def get_state_dict(checkpoint: Any) -> dict:
    """The model weights of a loaded checkpoint (``state_dict`` if wrapped)."""
    if isinstance(checkpoint, dict):
        for key in ('state_dict', 'model', 'model_state'):
            if isinstance(checkpoint.get(key), dict):
                return checkpoint[key]
        return checkpoint
    raise CheckpointError(
        f'Expected a dict of weights, got {type(checkpoint).__name__}')


def save_checkpoint_file(checkpoint: dict, filename: str) -> None:
    """``torch.save`` to a temporary name, then rename: a crash never leaves
    a truncated file under ``filename``."""
    with atomic_write(filename, binary=True) as f:
        torch.save(checkpoint, f)
