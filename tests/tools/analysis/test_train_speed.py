"""tools/analysis/train_speed.py: its options and a run end to end."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
TOOL = osp.join(ROOT, 'tools', 'analysis', 'train_speed.py')
SPEED = osp.join(ROOT, 'configs', 'benchmarks', 'speed')
MOCO = osp.join(SPEED, 'mocov2_resnet18_1xb32_speed.py')
DSL = osp.join(SPEED, 'dsl-mocov2_resnet18-teacher-resnet18_1xb32_speed.py')


def run_tool(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        (ROOT, osp.join(ROOT, 'tests'))))
    return subprocess.run([sys.executable, TOOL, *args], env=env,
                          capture_output=True, text=True)


def test_amp_needs_cuda():
    result = run_tool(MOCO, '--amp')
    assert result.returncode == 2
    assert '--amp needs --device cuda' in result.stderr


def tiny_configs(folder):
    """The MoCo v2 and distilled speed configs with 8 base channels."""
    tiny = ("backbone=dict(base_channels=8, stem_channels=8), "
            "neck=dict(in_channels=64, hid_channels=32)")
    paths = dict(moco=folder / 'tiny_moco.py', dsl=folder / 'tiny_dsl.py')
    paths['moco'].write_text(f"_base_ = '{MOCO}'\nmodel = dict({tiny})\n")
    paths['dsl'].write_text(
        f"_base_ = '{DSL}'\nmodel = dict({tiny}, teacher=dict({tiny}))\n")
    return str(paths['moco']), str(paths['dsl'])


def test_two_configs_end_to_end(synthetic_data_root, tmp_path):
    out = tmp_path / 'results.json'
    result = run_tool(
        *tiny_configs(tmp_path), '--batch-size', '4', '--image-size', '32',
        '--warmup', '1', '--iters', '2', '--data-workers', '0',
        '--data-batches', '2', '--random-teacher', '--out', str(out),
        '--cfg-options',
        f'train_dataloader.dataset.data_root={synthetic_data_root}',
        'train_dataloader.dataset.split_scheme=synthetic')
    assert result.returncode == 0, result.stderr[-3000:]
    printed = result.stdout
    results = json.loads(out.read_text())
    moco, dsl = results['models']
    assert (moco['config'], dsl['config']) == ('tiny_moco', 'tiny_dsl')
    assert results['settings']['batch_size'] == {moco['config']: 4,
                                                 dsl['config']: 4}
    assert moco['step_ms_ratio'] == 1.
    assert dsl['step_ms_ratio'] == pytest.approx(
        dsl['step_ms'] / moco['step_ms'])
    assert dsl['images_per_s'] == pytest.approx(4000 / dsl['step_ms'])
    assert dsl['peak_memory_mib_ratio'] == pytest.approx(
        dsl['peak_memory_mib'] / moco['peak_memory_mib'])
    (data_row, ) = results['data']
    assert data_row['config'] == moco['config']
    assert data_row['workers'] == 0 and data_row['images_per_s'] > 0
    assert 'tiny_dsl: random teacher weights' in printed
    assert f'| {dsl["config"]} | {dsl["step_ms"]:.0f} |' in printed
    assert f'{dsl["step_ms_ratio"]:.2f} |' in printed
    assert '| data pipeline of | workers | images/s |' in printed
