"""Which Python tools/dist_train.sh, dist_test.sh and slurm_train.sh run:
``$PYTHON`` when given, else the repository's ``.venv/bin/python`` when it
exists, else ``python`` from PATH.

Each script is copied into a scratch repository whose interpreters (and
``srun``) are shell scripts printing their name and arguments.
"""
import os
import os.path as osp
import shutil
import stat
import subprocess

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPTS = {
    'dist_train.sh': ['cfg.py', '2', '--work-dir', 'w'],
    'dist_test.sh': ['cfg.py', 'ckpt.pth', '2'],
    'slurm_train.sh': ['part', 'job', 'cfg.py', 'w'],
}


def fake(path: str, name: str) -> None:
    """An executable at ``path`` that prints ``name`` and its arguments."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(f'#!/bin/sh\necho {name} "$@"\n')
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)


def run(tmp_path, script: str, venv: bool, python_env: bool) -> str:
    repo = tmp_path / 'repo'
    os.makedirs(repo / 'tools', exist_ok=True)
    shutil.copy(osp.join(REPO, 'tools', script), repo / 'tools' / script)
    if venv:
        fake(str(repo / '.venv' / 'bin' / 'python'), 'VENV')
    bin_dir = tmp_path / 'bin'
    fake(str(bin_dir / 'python'), 'PATHPY')
    # srun runs the command after its options (all given as --key=value
    # or -k value pairs up to the interpreter).
    with open(bin_dir / 'srun', 'w') as f:
        f.write('#!/bin/bash\nwhile [[ "$1" == -* ]]; do\n'
                '  [[ "$1" == *=* ]] && shift || shift 2; done\n'
                'exec "$@"\n')
    os.chmod(bin_dir / 'srun', 0o755)
    env = {'PATH': f'{bin_dir}:/usr/bin:/bin'}
    if python_env:
        fake(str(tmp_path / 'given'), 'GIVEN')
        env['PYTHON'] = str(tmp_path / 'given')
    out = subprocess.run(['bash', str(repo / 'tools' / script),
                          *SCRIPTS[script]],
                         env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize('script', sorted(SCRIPTS))
def test_python_choice(tmp_path, script):
    assert run(tmp_path, script, venv=True, python_env=True).startswith(
        'GIVEN')
    assert run(tmp_path, script, venv=True, python_env=False).startswith(
        'VENV')
    shutil.rmtree(tmp_path / 'repo' / '.venv')
    line = run(tmp_path, script, venv=False, python_env=False)
    assert line.startswith('PATHPY')
    tool = 'test.py' if script == 'dist_test.sh' else 'train.py'
    assert osp.join('repo', 'tools', tool) in line
    assert line.endswith(' '.join(SCRIPTS[script][-2:])) or \
        '--launcher' in line
