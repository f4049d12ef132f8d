"""The runtime datasets depend only on the prepared side of the data.

Reading the official raw files (:mod:`mmdistill.datasets.raw_annotations`)
and decoding videos belong to the preparation; a dataset built in a training
run must not reach them through its imports. The check follows the static
import graph inside ``mmdistill.datasets`` (not the package ``__init__``,
which re-exports both sides for users).
"""
import ast
import importlib.util
from pathlib import Path
from typing import Optional, Set

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = 'mmdistill.datasets'
RUNTIME = ('frames', 'feature_sequences', 'feature_index', 'splits',
           'verification', 'layout', 'prepared_annotations',
           'transforms.loading')
RAW_SIDE = {'raw_annotations', 'sources', 'preparation', 'video'}


def _source(module: str) -> Optional[Path]:
    """File of ``module`` if it is a module of ``mmdistill.datasets``."""
    if not module.startswith(PACKAGE + '.'):
        return None
    path = ROOT.joinpath(*module.split('.'))
    for candidate in (path.with_suffix('.py'), path / '__init__.py'):
        if candidate.is_file():
            return candidate
    return None


def _imports(module: str) -> Set[str]:
    """Modules of ``mmdistill.datasets`` that ``module`` imports."""
    path = _source(module)
    package = module if path.name == '__init__.py' else module.rpartition(
        '.')[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name(
                '.' * node.level + (node.module or ''), package)
            names = [base] + [f'{base}.{alias.name}' for alias in node.names]
        else:
            continue
        found.update(name for name in names if _source(name) is not None)
    return found


def _reachable(module: str) -> Set[str]:
    seen, todo = set(), [f'{PACKAGE}.{module}']
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(_imports(current))
    return {name[len(PACKAGE) + 1:] for name in seen if name != PACKAGE}


@pytest.mark.parametrize('module', RUNTIME)
def test_runtime_module_does_not_reach_raw_readers(module):
    raw = {name for name in _reachable(module) if name in RAW_SIDE}
    assert not raw, f'{PACKAGE}.{module} imports {sorted(raw)}'


def test_the_check_sees_both_sides():
    assert {'raw_annotations', 'video'} <= _reachable('preparation')
    assert 'prepared_annotations' in _reachable('frames')
