"""Resolve every config under ``configs/`` to plain, comparable data.

The config tests compare resolved configs (all ``_base_`` files merged,
``{{_base_.x}}`` references filled in) rather than config text, so a
reorganisation of the files can be checked key by key.
"""
import glob
import json
import os.path as osp
from typing import Any, Dict, List

from mmengine.config import Config

from mmdistill.utils.fileio import write_text_atomic

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(ROOT, 'configs')
SNAPSHOT = osp.join(ROOT, 'tests', 'configs', 'resolved_configs.json')


def config_paths() -> List[str]:
    """Every runnable config, relative to the repository root (the
    ``_base_`` folders hold fragments, not configs)."""
    paths = glob.glob(osp.join(CONFIGS, '**', '*.py'), recursive=True)
    return sorted(
        osp.relpath(p, ROOT) for p in paths
        if '_base_' not in osp.relpath(p, CONFIGS).split(osp.sep))


def resolve(path: str) -> Dict[str, Any]:
    """The merged config of ``path`` (relative to the repository root) as
    JSON data: tuples become lists, anything else non-JSON its ``repr``."""
    cfg = Config.fromfile(osp.join(ROOT, path))
    return json.loads(json.dumps(cfg.to_dict(), sort_keys=True, default=repr))


def flatten(data: Any, prefix: str = '') -> Dict[str, Any]:
    """Dotted key -> leaf value; list items are addressed by index
    (``train_dataloader.dataset.pipeline.1.type``)."""
    if isinstance(data, dict) and data:
        items = data.items()
    elif isinstance(data, list) and data:
        items = ((str(i), v) for i, v in enumerate(data))
    else:
        return {prefix: data}
    flat = {}
    for key, value in items:
        flat.update(flatten(value, f'{prefix}.{key}' if prefix else key))
    return flat


def differing_keys(a: Dict[str, Any], b: Dict[str, Any]) -> List[str]:
    """Sorted dotted keys whose values differ or exist on one side only."""
    fa, fb = flatten(a), flatten(b)
    return sorted(k for k in fa.keys() | fb.keys()
                  if fa.get(k, KeyError) != fb.get(k, KeyError))


def write_snapshot() -> None:
    """Regenerate ``tests/configs/resolved_configs.json`` from the tree."""
    snapshot = {path: resolve(path) for path in config_paths()}
    write_text_atomic(
        SNAPSHOT, json.dumps(snapshot, sort_keys=True, indent=1) + '\n')


def load_snapshot() -> Dict[str, Dict[str, Any]]:
    with open(SNAPSHOT) as f:
        return json.load(f)
