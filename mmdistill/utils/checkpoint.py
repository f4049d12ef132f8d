"""The one checkpoint-loading path of mmdistill: a checkpoint never runs code.

Every checkpoint mmdistill or mmengine reads (``load_checkpoint_file``,
``Runner.resume``/``load_from``, mmengine's ``load_checkpoint`` and its
``Pretrained`` init, downloads) goes through :func:`_load_file`, which mmengine
reaches through the schemes registered into its :class:`CheckpointLoader`
by :func:`register_checkpoint_safe_globals` (run when :mod:`mmdistill` is
imported). It

* calls ``torch.load(..., weights_only=True)`` explicitly and refuses to run
  while ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` is set, so the variable cannot
  switch the safe unpickler off anywhere in the process's checkpoint intake;
* allows, beyond torch's defaults, exactly what mmengine checkpoints hold:
  mmengine's ``HistoryBuffer``, ``getattr`` only for its statistics methods
  (pickle protocol 2 stores ``HistoryBuffer.min`` as
  ``getattr(HistoryBuffer, 'min')``; a general ``getattr`` reaches from any
  allowed class to arbitrary code) and numpy arrays, scalars and dtypes that
  are *plain numeric* (bool, int, uint, float, complex). numpy's pickle
  rebuilds arrays from raw bytes, so an object or structured dtype would turn
  attacker bytes into object pointers; such dtypes are refused, and every
  array or scalar is rebuilt with a dtype made afresh from its type string
  (a pickled dtype's state could forge fields and flags);
* drops ``meta['config']``, which mmengine's ``Runner.resume`` passes to
  ``Config.fromstring`` (that executes it), and refuses the checkpoint when
  that text is more than literal assignments. Code that needs a value from the
  config text a checkpoint carries (``meta['cfg']``) uses
  :func:`parse_config_literals`, which never executes it;
* refuses empty and truncated files, naming the file, and reads
  ``.safetensors`` files (by extension or header) with the same result type;
* downloads ``http(s)://``, ``torchvision://``, ``open-mmlab://`` and
  ``mmcls://`` checkpoints into torch hub's checkpoint directory and, when
  there is no network, says which URL to fetch and where to put it.

Every refusal is a :class:`CheckpointError` naming the file and what was
refused.
"""
import ast
import logging
import os
import os.path as osp
import pickle
import re
import tempfile
import zipfile
from typing import IO, Any, Callable, Dict, List, Tuple, Union
from urllib.error import URLError
from urllib.parse import urlparse

import numpy as np
import mmengine.runner.checkpoint as mmengine_checkpoint
import torch
from mmengine.dist import get_dist_info
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner import CheckpointLoader
from numpy.core.multiarray import _reconstruct, scalar

from .fileio import atomic_write

UNSAFE_ENV_VAR = 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'
_TRUE_VALUES = ('1', 'y', 'yes', 'true')
_HISTORY_BUFFER_METHODS = frozenset(('min', 'max', 'mean', 'current'))
_NUMERIC_KINDS = frozenset('biufc')
_SAFETENSORS_SUFFIX = '.safetensors'
_ZIP_MAGIC = b'PK\x03\x04'
_MapLocation = Union[str, torch.device, Callable, Dict, None]


class CheckpointError(RuntimeError):
    """A checkpoint cannot be used: unsafe, unreadable, or keys that do not
    fit."""


def _history_buffer_getattr(obj: Any, name: str) -> Callable:
    """``getattr`` restricted to the statistics methods of HistoryBuffer."""
    if obj is HistoryBuffer and name in _HISTORY_BUFFER_METHODS:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'getattr({obj!r}, {name!r}): a checkpoint may only use getattr for '
        f'HistoryBuffer.{{{", ".join(sorted(_HISTORY_BUFFER_METHODS))}}}')


class _PickledDtype:
    """What ``numpy.dtype(...)`` gives while unpickling: a plain numeric
    dtype, validated from its type string.

    numpy pickles a dtype as ``numpy.dtype('f8', False, True)`` plus a state
    whose fields, size and flags numpy would trust; only the byte order of
    that state is kept. Never a real numpy dtype, so the unpickler's BUILD
    cannot alter one (numeric dtypes are process-wide singletons).
    """

    def __init__(self, type_str: Any, *args: Any) -> None:
        dtype = np.dtype(type_str) if isinstance(type_str, str) else None
        if (dtype is None or dtype.kind not in _NUMERIC_KINDS
                or dtype.fields is not None or dtype.subdtype is not None):
            raise pickle.UnpicklingError(
                f'numpy dtype {type_str!r}: only plain numeric numpy arrays '
                f'and scalars (bool, int, uint, float, complex) may be '
                f'rebuilt from checkpoint bytes')
        self.dtype = dtype

    def __setstate__(self, state: Tuple) -> None:
        if not (isinstance(state, tuple) and len(state) >= 5
                and state[1] in ('<', '>', '|', '=')
                and state[2:5] == (None, None, None)):
            raise pickle.UnpicklingError(
                f'numpy dtype state {state!r}: a subarray or fields in a '
                f'plain numeric dtype')
        if state[1] in ('<', '>'):
            self.dtype = self.dtype.newbyteorder(state[1])


def _numeric_dtype(dtype: Any) -> np.dtype:
    if not isinstance(dtype, _PickledDtype):
        raise pickle.UnpicklingError(
            f'{dtype!r} where a numpy dtype was expected')
    return dtype.dtype


class _NumericArray(np.ndarray):
    """The array type unpickling builds: plain numeric data from bytes only.

    Registered under ``numpy.ndarray``, so that a checkpoint calling
    ``numpy.ndarray(shape, dtype, buffer)`` directly is refused, and built
    only by :func:`_reconstruct_numeric`. :func:`_plain_arrays` turns the
    results back into plain ``np.ndarray`` after loading.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> None:
        raise pickle.UnpicklingError(
            'numpy.ndarray(...) called directly: numpy never pickles arrays '
            'so; it would build an array from raw checkpoint bytes')

    def __setstate__(self, state: Tuple) -> None:
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            raise pickle.UnpicklingError(f'numpy array state {state!r}')
        *head, dtype, is_fortran, data = state
        if not isinstance(data, bytes):
            raise pickle.UnpicklingError(
                'numpy array data that is not raw bytes (an object array)')
        super().__setstate__(
            (*head, _numeric_dtype(dtype), bool(is_fortran), data))

    def __reduce_ex__(self, protocol: int) -> Any:
        return self.view(np.ndarray).__reduce_ex__(protocol)


def _reconstruct_numeric(subtype: Any, shape: Any,
                         typecode: Any) -> _NumericArray:
    """numpy's ``_reconstruct`` for plain arrays only (state checked next)."""
    if subtype is not _NumericArray:
        raise pickle.UnpicklingError(
            f'numpy array of type {subtype!r}: only numpy.ndarray')
    return _reconstruct(_NumericArray, shape, typecode)


def _scalar_numeric(dtype: Any, data: Any = None) -> np.generic:
    """numpy's ``scalar`` for plain numeric scalars from raw bytes only."""
    dtype = _numeric_dtype(dtype)
    if not isinstance(data, bytes) or len(data) != dtype.itemsize:
        raise pickle.UnpicklingError(
            f'numpy scalar of {dtype} from {type(data).__name__} data')
    return scalar(dtype, data)


def checkpoint_safe_globals() -> List[Union[Callable, Tuple[Callable, str]]]:
    """The globals (beyond torch's defaults) that a checkpoint may contain."""
    items: List[Union[Callable, Tuple[Callable, str]]] = [
        HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr'),
        (_NumericArray, 'numpy.ndarray'), (_PickledDtype, 'numpy.dtype')
    ]
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        items += [(_reconstruct_numeric, f'{module}._reconstruct'),
                  (_scalar_numeric, f'{module}.scalar')]
    return items


def _plain_arrays(obj: Any, seen: Dict[int, Any]) -> Any:
    """``obj`` with every :class:`_NumericArray` viewed as ``np.ndarray``
    and every :class:`_PickledDtype` as its dtype (containers and
    ``HistoryBuffer`` updated in place)."""
    if isinstance(obj, _NumericArray):
        return obj.view(np.ndarray)
    if isinstance(obj, _PickledDtype):
        return obj.dtype
    if id(obj) in seen:
        return seen[id(obj)]
    seen[id(obj)] = obj
    if isinstance(obj, dict):
        for key, value in obj.items():
            obj[key] = _plain_arrays(value, seen)
    elif isinstance(obj, list):
        obj[:] = [_plain_arrays(value, seen) for value in obj]
    elif isinstance(obj, tuple) and type(obj) is tuple:
        seen[id(obj)] = tuple(_plain_arrays(value, seen) for value in obj)
    elif isinstance(obj, HistoryBuffer):
        _plain_arrays(vars(obj), seen)
    return seen[id(obj)]


def _refuse_unsafe_environment(name: str) -> None:
    value = os.environ.get(UNSAFE_ENV_VAR)
    if value is not None and value.strip().lower() in _TRUE_VALUES:
        raise CheckpointError(
            f'Refusing to load checkpoint {name}: the environment variable '
            f'{UNSAFE_ENV_VAR}={value} is set, which makes torch.load run '
            f'code from checkpoints. mmdistill loads mmengine checkpoints '
            f'safely without it: unset {UNSAFE_ENV_VAR} and run again.')


def _refusal_reason(err: Exception) -> str:
    """What the unpickler refused, without torch's advice to lift the check
    (``weights_only=False``, ``add_safe_globals``)."""
    text = str(err).split('Check the documentation of torch.load')[0]
    for marker in ('WeightsUnpickler error: ', '\n\n'):
        if marker in text.strip():
            text = text.strip().rsplit(marker, 1)[1]
            break
    text = re.split(r'Please use `torch\.|In PyTorch 2\.6', text)[0]
    return ' '.join(text.split()) or type(err).__name__


def _torch_load(file: Union[str, IO[bytes]], name: str,
                map_location: _MapLocation) -> Any:
    try:
        return torch.load(file, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f'Refusing to load checkpoint {name}: it contains pickled code or '
            f'objects outside the allow-list ({_refusal_reason(err)}). '
            f'mmdistill loads only tensors, containers, mmengine '
            f'HistoryBuffers and plain numeric numpy arrays, since anything '
            f'else could run code or corrupt memory when loaded; take the '
            f'weights from a source you trust, as a plain state_dict or a '
            f'.safetensors file.') from None
    except Exception as err:  # torch's zip/format errors, EOFError, ...
        raise CheckpointError(
            f'Cannot read checkpoint {name}: {type(err).__name__}: {err}'
        ) from err


def _load_safetensors(path: str, name: str,
                      map_location: _MapLocation) -> Dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    device = (str(map_location) if isinstance(map_location,
                                              (str, torch.device)) else 'cpu')
    try:
        return load_file(path, device=device)
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(
            f'Cannot read safetensors checkpoint {name} (truncated or not a '
            f'safetensors file?): {err}') from err


def _is_safetensors(path: str, head: bytes) -> bool:
    """By extension, or by header: 8-byte little-endian length, then JSON."""
    return path.endswith(_SAFETENSORS_SUFFIX) or (
        len(head) > 8 and head[8:9] == b'{'
        and int.from_bytes(head[:8], 'little') < osp.getsize(path))


def _drop_config_text(checkpoint: Any, name: str) -> Any:
    """Remove ``meta['config']``, which mmengine's resume would execute;
    refuse the checkpoint if that text holds anything but literals."""
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    if isinstance(meta, dict) and 'config' in meta:
        text = meta.pop('config')
        parse_config_literals(
            text if isinstance(text, str) else repr(text),
            f"Refusing to load checkpoint {name}: its meta['config']")
        print_log(
            f"{name}: dropped the config text in meta['config'] (mmengine's "
            f'resume would execute it; mmdistill never runs code from a '
            f'checkpoint)',
            logger='current',
            level=logging.WARNING)
    return checkpoint


def _load_file(path: str, map_location: _MapLocation = 'cpu',
               name: str = '') -> Any:
    """Load a local checkpoint file; every refusal names ``name``."""
    name = name or path
    _refuse_unsafe_environment(name)
    path = osp.expanduser(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{name} can not be found.')
    with open(path, 'rb') as f:
        head = f.read(16)
    if not head:
        raise CheckpointError(
            f'Checkpoint {name} is empty (0 bytes): an interrupted save? '
            f'Use an earlier checkpoint.')
    if _is_safetensors(path, head):
        return _load_safetensors(path, name, map_location)
    if head.startswith(_ZIP_MAGIC) and not zipfile.is_zipfile(path):
        raise CheckpointError(
            f'Checkpoint {name} is truncated (its zip archive has no end '
            f'record): an interrupted save? Use an earlier checkpoint.')
    checkpoint = _plain_arrays(_torch_load(path, name, map_location), {})
    return _drop_config_text(checkpoint, name)


def _download(url: str, model_dir: Union[str, None] = None,
              progress: bool = False) -> str:
    """The local copy of ``url`` in torch hub's checkpoint directory,
    downloaded if missing; offline, a CheckpointError says where to put it.
    """
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    cached = osp.join(model_dir, osp.basename(urlparse(url).path))
    if not osp.isfile(cached):
        os.makedirs(model_dir, exist_ok=True)
        try:
            torch.hub.download_url_to_file(url, cached, progress=progress)
        except (URLError, OSError) as err:
            reason = getattr(err, 'reason', err)
            raise CheckpointError(
                f'Cannot download checkpoint {url} ({reason}): on a machine '
                f'without network, download it elsewhere and put it at '
                f'{cached}') from err
    return cached


def _load_url(url: str,
              model_dir: Union[str, None] = None,
              map_location: _MapLocation = None,
              progress: bool = False,
              name: str = '') -> Any:
    """Download (local rank 0 first) and load ``url``; signature of
    mmengine's ``load_url``."""
    rank, world_size = get_dist_info()
    if rank == 0:
        path = _download(url, model_dir, progress)
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            path = _download(url, model_dir, progress)
    return _load_file(path, map_location, f'{path} (from {name or url})')


def _known_url(table: Dict[str, str], scheme: str, model: str) -> str:
    if model not in table:
        raise CheckpointError(
            f'Unknown checkpoint {scheme}{model}: mmengine knows no such '
            f'model name')
    return table[model]


def load_from_torchvision(filename: str,
                          map_location: _MapLocation = None) -> Any:
    scheme, model = filename.split('://', 1)
    url = _known_url(mmengine_checkpoint.get_torchvision_models(),
                     f'{scheme}://', model)
    return _load_url(url, map_location=map_location, name=filename)


def load_from_openmmlab(filename: str,
                        map_location: _MapLocation = None) -> Any:
    scheme, model = filename.split('://', 1)
    model = mmengine_checkpoint.get_deprecated_model_names().get(model, model)
    url = _known_url(mmengine_checkpoint.get_external_models(),
                     f'{scheme}://', model)
    if url.startswith(('http://', 'https://')):
        return _load_url(url, map_location=map_location, name=filename)
    return _load_file(
        osp.join(mmengine_checkpoint._get_mmengine_home(), url), map_location)


def load_from_mmcls(filename: str,
                    map_location: _MapLocation = None) -> Any:
    url = _known_url(mmengine_checkpoint.get_mmcls_models(), 'mmcls://',
                     filename[len('mmcls://'):])
    return mmengine_checkpoint._process_mmcls_checkpoint(
        _load_url(url, map_location=map_location, name=filename))


def load_from_local(filename: str,
                    map_location: _MapLocation = None) -> Any:
    return _load_file(filename, map_location)


def load_from_http(filename: str,
                   map_location: _MapLocation = None) -> Any:
    return _load_url(filename, map_location=map_location)


def load_from_ceph(filename: str,
                   map_location: _MapLocation = None) -> Any:
    """``s3://`` / ``petrel://``: fetched whole, then loaded as a file."""
    from mmengine.fileio import get_file_backend
    backend = get_file_backend(filename, backend_args={'backend': 'petrel'})
    with tempfile.TemporaryDirectory() as tmp_dir:
        path = osp.join(tmp_dir, osp.basename(filename))
        with open(path, 'wb') as f:
            f.write(backend.get(filename))
        return _load_file(path, map_location, filename)




def load_from_pavi(filename: str,
                   map_location: _MapLocation = None) -> Any:
    raise CheckpointError(
        f'Refusing to load checkpoint {filename}: pavi:// is not supported by '
        f'mmdistill; download the file and pass its path')


# mmengine's schemes, same prefixes; mmengine logs the name after 'load_from_'.
_SCHEMES = (
    ('', load_from_local),
    (('http://', 'https://'), load_from_http),
    (('modelzoo://', 'torchvision://'), load_from_torchvision),
    (('open-mmlab://', 'openmmlab://'), load_from_openmmlab),
    ('mmcls://', load_from_mmcls),
    ((r'(\S+\:)?s3://', r'(\S+\:)?petrel://'), load_from_ceph),
    ('pavi://', load_from_pavi),
)


def register_checkpoint_safe_globals() -> None:
    """Route every checkpoint load of mmengine through :func:`_load_file`.

    Allow-lists mmengine's checkpoint content for ``torch.load`` and
    replaces every scheme of mmengine's :class:`CheckpointLoader` (local
    files, downloads, ceph; pavi is refused), so that ``Runner.resume``,
    ``load_from``, ``load_checkpoint`` and mmengine's ``Pretrained`` init
    load as :func:`load_checkpoint_file` does. Idempotent.
    """
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
    for prefixes, loader in _SCHEMES:
        CheckpointLoader.register_scheme(prefixes, loader, force=True)
    mmengine_checkpoint.load_url = _load_url


def load_checkpoint_file(filename: str,
                         map_location: _MapLocation = 'cpu') -> Any:
    """Load a checkpoint from a path or URL without running any code.

    Accepts every source mmengine's :class:`CheckpointLoader` knows
    (local path, ``http(s)://``, ``torchvision://``, ``open-mmlab://``,
    ``mmcls://``, and schemes mmdistill registers such as
    ``efficientnet-lite0://``) and ``.safetensors`` files.

    Raises:
        CheckpointError: if the file is empty or truncated, holds anything
            but tensors, containers and the allow-listed mmengine/numpy
            types, cannot be downloaded, or
            ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` is set. The message names
            the file.
    """
    register_checkpoint_safe_globals()
    return CheckpointLoader.load_checkpoint(filename, map_location)


def _literal(node: ast.AST, source: str) -> Any:
    if isinstance(node, ast.Call) and isinstance(
            node.func, ast.Name) and node.func.id == 'dict' and len(
                node.args) <= 1:
        # pretty_text writes dict(k=v) and, for keys that are no names,
        # dict({'k.1': v})
        if any(kw.arg is None for kw in node.keywords):
            raise CheckpointError(
                f'{source}, line {node.lineno}: dict(**...) in config text')
        value = dict(_literal(node.args[0], source)) if node.args else {}
        value.update(
            {kw.arg: _literal(kw.value, source)
             for kw in node.keywords})
        return value
    if isinstance(node, ast.Dict):
        return {
            _literal(k, source): _literal(v, source)
            for k, v in zip(node.keys, node.values)
        }
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [_literal(item, source) for item in node.elts]
        return {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)](
            items)
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise CheckpointError(
            f'{source}, line {getattr(node, "lineno", "?")}: '
            f'{ast.unparse(node)!r} is not a literal; config text from a '
            f'checkpoint is parsed, never executed') from None


def parse_config_literals(text: str,
                          source: str = 'config text') -> Dict[str, Any]:
    """Parse config text (e.g. a checkpoint's ``meta['cfg']``) without
    executing it.

    Accepts what mmengine's ``Config.pretty_text`` writes: top-level ``name
    = value`` lines whose values are literals, ``dict(k=v, ...)`` and
    ``dict({...})`` calls, lists, tuples and dicts of them. Anything else
    (imports, function calls, names, attribute access) is refused.

    Returns:
        dict: top-level names to values (plain dicts), e.g. for
        ``mmengine.Config(parse_config_literals(text))``.

    Raises:
        CheckpointError: naming ``source`` and the line that is not a
            literal assignment.
    """
    try:
        tree = ast.parse(text, mode='exec')
    except SyntaxError as err:
        raise CheckpointError(f'{source} is not valid Python: {err}') from err
    values: Dict[str, Any] = {}
    for stmt in tree.body:
        if not (isinstance(stmt, ast.Assign) and all(
                isinstance(target, ast.Name) for target in stmt.targets)):
            raise CheckpointError(
                f'{source}, line {stmt.lineno}: only `name = literal` lines '
                f'are read from config text, got {ast.unparse(stmt)[:80]!r}')
        value = _literal(stmt.value, source)
        for target in stmt.targets:
            values[target.id] = value
    return values


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
