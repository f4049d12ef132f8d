"""Tools are thin command lines over the package: no tool imports another
tool, and no test loads a tool as a module (by path or by name).

Tests of a tool's command line run it as a subprocess; everything else is
tested through the package.
"""
import ast
from pathlib import Path
from typing import List

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL_NAMES = {path.stem for path in (ROOT / 'tools').rglob('*.py')}
LOADERS = {'spec_from_file_location', 'SourceFileLoader', 'load_source',
           'run_path', 'run_module', 'import_module', '__import__'}


def _imported(node: ast.AST) -> List[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and not node.level:
        return [node.module or '']
    return []


def tool_imports(source: str, is_tool: bool) -> List[str]:
    """What in ``source`` imports or loads a tool module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        for name in _imported(node):
            top = name.split('.')[0]
            # A tool run as a script has its own folder on sys.path, so a
            # bare tool name there is another tool.
            if top == 'tools' or (is_tool and top in TOOL_NAMES):
                found.append(f'line {node.lineno}: imports {name}')
        called = node.func if isinstance(node, ast.Call) else None
        name = getattr(called, 'attr', None) or getattr(called, 'id', None)
        if name in LOADERS:
            found.append(f'line {node.lineno}: calls {name}()')
    return found


def _python_files() -> List[Path]:
    return sorted([*(ROOT / 'tools').rglob('*.py'),
                   *(ROOT / 'tests').rglob('*.py')])


@pytest.mark.parametrize(
    'path', _python_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_tool_is_imported(path):
    is_tool = path.is_relative_to(ROOT / 'tools')
    assert tool_imports(path.read_text(), is_tool) == []


@pytest.mark.parametrize('source, is_tool, expected', [
    ('from tools.train import main\n', False,
     ['line 1: imports tools.train']),
    ('import extract_features\n', True, ['line 1: imports extract_features']),
    ('import importlib.util\n'
     'spec = importlib.util.spec_from_file_location("t", "tools/t.py")\n',
     False, ['line 2: calls spec_from_file_location()']),
    ('import runpy\nrunpy.run_path("tools/train.py")\n', False,
     ['line 2: calls run_path()']),
    ('from mmdistill.apis import build_runner\nimport train_utils\n', True,
     []),
])
def test_the_check_finds_tool_loading(source, is_tool, expected):
    assert tool_imports(source, is_tool) == expected
