"""The built wheel ships every subpackage and the configs/tools (.mim)."""
import os
import os.path as osp
import shutil
import subprocess
import sys
import zipfile

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    """Build from a copy of the tracked files: what a clone would build,
    with no stale ``build/`` or untracked files."""
    source = tmp_path_factory.mktemp('source')
    tracked = subprocess.run(['git', 'ls-files', '-z'], cwd=ROOT, check=True,
                             capture_output=True).stdout.decode().split('\0')
    for rel in filter(None, tracked):
        if osp.exists(osp.join(ROOT, rel)):
            os.makedirs(osp.dirname(osp.join(source, rel)), exist_ok=True)
            shutil.copy2(osp.join(ROOT, rel), osp.join(source, rel))
    out = tmp_path_factory.mktemp('wheel')
    subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps',
         '--no-build-isolation', '-q', '-w', str(out), str(source)],
        check=True, cwd=str(out))
    wheels = [f for f in os.listdir(out) if f.endswith('.whl')]
    assert len(wheels) == 1, wheels
    return zipfile.ZipFile(osp.join(out, wheels[0]))


def test_wheel_contains_every_subpackage(wheel):
    names = set(wheel.namelist())
    tracked = subprocess.run(['git', 'ls-files', 'mmdistill'], cwd=ROOT,
                             check=True, capture_output=True,
                             text=True).stdout.split()
    packages = sorted({
        osp.dirname(f)
        for f in tracked if osp.basename(f) == '__init__.py'
    })
    assert len(packages) > 5
    for package in packages:
        assert f'{package}/__init__.py' in names, package


def test_wheel_ships_configs_and_tools(wheel):
    names = set(wheel.namelist())
    for rel in ('configs/_base_/default_runtime.py',
                'configs/spt/spt_resnet50_in1k-sup_4xb32-coslr-200e_cholec80.py',
                'configs/dsl/dsl-mocov2_resnet50_4xb32-coslr-200e_cholec80.py',
                'tools/train.py', 'tools/dist_train.sh'):
        assert f'mmdistill/.mim/{rel}' in names, rel
