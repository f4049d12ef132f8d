"""README command twins: the documented commands cannot rot.

Every fenced code block of README.md is followed by an HTML comment (GitHub
does not show it) that says how the block is checked on the demo data:
``<!-- twin: none (reason) -->`` for a block that is not a command to run
here (an install, a GPU run, a Python snippet), or ``<!-- twin:`` followed by
lines and ``-->``. Each line is either ``covered by tests/FILE.py::TEST``
(a test elsewhere runs that command on the demo data; this file checks the
test exists) or a shell command, run by bash from the repository root with
``$RAW`` (synthetic raw videos, Cholec80 layout), ``$DATA`` (the same
prepared at 1 fps, 64 px) and ``$WORK`` (one work dir shared by all twins,
which run in README order, so a twin may use an earlier twin's outputs);
``python`` is this interpreter. Every ``configs/...py`` and ``tools/...``
path named in a block or a twin must exist.
"""
import ast
import os
import os.path as osp
import re
import subprocess
import sys
from typing import List, NamedTuple

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
README = osp.join(ROOT, 'README.md')
BLOCK = re.compile(r'^```(\w*)\n(.*?)^```\n', re.M | re.S)
TWIN = re.compile(r'\s*<!-- twin:(.*?)-->', re.S)
COVERED = re.compile(r'^covered by ((?:tests/[\w/]+\.py::\w+(?:, )?)+)$')
PATH = re.compile(r'(?<![\w./-])((?:configs|tools)/[\w./-]+\.(?:py|sh))')


class Block(NamedTuple):
    line: int
    lang: str
    text: str
    twin: str  # None when the block has no twin comment


def _blocks() -> List[Block]:
    with open(README, encoding='utf-8') as f:
        text = f.read()
    blocks = []
    for match in BLOCK.finditer(text):
        twin = TWIN.match(text, match.end())
        blocks.append(
            Block(text.count('\n', 0, match.start()) + 1, match.group(1),
                  match.group(2), twin and twin.group(1).strip()))
    return blocks


BLOCKS = _blocks()


def _commands(twin: str) -> str:
    """The shell lines of a twin (without its ``covered by`` lines)."""
    return '\n'.join(line for line in twin.splitlines()
                     if not line.strip().startswith('covered by'))


def _references(twin: str) -> List[str]:
    refs = []
    for line in twin.splitlines():
        line = line.strip()
        if line.startswith('covered by'):
            match = COVERED.match(line)
            assert match, (f'{line!r}: write "covered by '
                           'tests/FILE.py::TEST[, tests/FILE.py::TEST]"')
            refs += match.group(1).split(', ')
    return refs


RUNNABLE = [
    b for b in BLOCKS
    if b.twin and not b.twin.startswith('none') and _commands(b.twin).strip()
]


def test_every_block_has_a_twin():
    assert len(BLOCKS) >= 10, 'README code blocks not found'
    missing = [b.line for b in BLOCKS if b.twin is None]
    assert not missing, (
        f'README.md code blocks at lines {missing} have no '
        '"<!-- twin: ... -->" comment right after them (see '
        'tests/test_readme_commands.py)')
    for block in BLOCKS:
        if block.twin.startswith('none'):
            assert re.fullmatch(r'none \(.+\)', block.twin), (
                f'README.md line {block.line}: write "none (reason)"')


def test_covered_by_names_existing_tests():
    refs = [ref for b in BLOCKS if b.twin for ref in _references(b.twin)]
    assert refs
    for ref in refs:
        path, name = ref.split('::')
        assert osp.isfile(osp.join(ROOT, path)), f'{ref}: no file {path}'
        with open(osp.join(ROOT, path), encoding='utf-8') as f:
            tree = ast.parse(f.read())
        names = {
            node.name
            for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
        }
        assert name in names, f'{ref}: {path} has no function {name}'


def test_named_configs_and_tools_exist():
    paths = {(p, b.line) for b in BLOCKS
             for p in PATH.findall(b.text + '\n' + (b.twin or ''))}
    assert paths
    missing = sorted(f'{p} (README.md line {line})' for p, line in paths
                     if not osp.isfile(osp.join(ROOT, p)))
    assert not missing, f'README names files that do not exist: {missing}'


@pytest.fixture(scope='module')
def twin_env(tmp_path_factory, synthetic_raw_dir, synthetic_data_root):
    """Environment of the twins: one work dir for all, and ``python`` on
    PATH running this interpreter."""
    work = tmp_path_factory.mktemp('twins')
    bin_dir = tmp_path_factory.mktemp('bin')
    python = bin_dir / 'python'
    python.write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    python.chmod(0o755)
    return dict(
        os.environ,
        PATH=os.pathsep.join((str(bin_dir), os.environ['PATH'])),
        PYTHONPATH=os.pathsep.join((ROOT, osp.join(ROOT, 'tests'))),
        PYTHON=sys.executable,
        OMP_NUM_THREADS='1',
        RAW=synthetic_raw_dir,
        DATA=synthetic_data_root,
        WORK=str(work))


@pytest.mark.parametrize('block', RUNNABLE,
                         ids=[f'line{b.line}' for b in RUNNABLE])
def test_twin_runs(block, twin_env):
    script = 'set -euo pipefail\n' + _commands(block.twin)
    proc = subprocess.run(['bash', '-c', script], cwd=ROOT, env=twin_env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (
        f'twin of README.md line {block.line} exited {proc.returncode}:\n'
        f'{script}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
