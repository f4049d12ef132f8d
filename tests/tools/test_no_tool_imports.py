"""Tools are thin command lines over the package: no tool imports another
tool, and no test loads a tool as a module (by path or by name), checked
over the repository with :mod:`mmdistill.utils.tool_imports`.

Tests of a tool's command line run it as a subprocess; everything else is
tested through the package.
"""
from pathlib import Path
from typing import List

import pytest

from mmdistill.utils.tool_imports import MODULE_LOADERS, tool_imports

ROOT = Path(__file__).resolve().parents[2]
TOOL_NAMES = {path.stem for path in (ROOT / 'tools').rglob('*.py')}


def _python_files() -> List[Path]:
    return sorted([*(ROOT / 'tools').rglob('*.py'),
                   *(ROOT / 'tests').rglob('*.py')])


@pytest.mark.parametrize(
    'path', _python_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_tool_is_imported(path):
    is_tool = path.is_relative_to(ROOT / 'tools')
    assert tool_imports(path.read_text(), is_tool, TOOL_NAMES) == []


@pytest.mark.parametrize('source, is_tool, expected', [
    ('from tools.train import main\n', False,
     ['line 1: imports tools.train']),
    ('import extract_features\n', True, ['line 1: imports extract_features']),
    ('from mmdistill.apis import build_runner\nimport train_utils\n', True,
     []),
])
def test_the_check_finds_tool_imports(source, is_tool, expected):
    assert tool_imports(source, is_tool, TOOL_NAMES) == expected


@pytest.mark.parametrize('loader', sorted(MODULE_LOADERS))
def test_the_check_finds_every_module_loader(loader):
    """Each loader, called as an attribute or a bare name, is found."""
    for call in (f'loaders.{loader}', loader):
        source = f'module = {call}("name", "folder/name.py")\n'
        assert tool_imports(source, False, TOOL_NAMES) == [
            f'line 1: calls {loader}()'
        ]
