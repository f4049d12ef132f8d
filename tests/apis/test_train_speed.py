"""mmdistill.apis.train_speed: interleaving, numbers, memory, teachers."""
import argparse
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmdistill.apis import train_speed as bench
from mmdistill.models.algorithms import FrozenTeacher

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SPEED = osp.join(REPO, 'configs', 'benchmarks', 'speed')
MOCO = osp.join(SPEED, 'mocov2_resnet18_1xb32_speed.py')
SPT = osp.join(SPEED, 'spt_resnet18_1xb32_speed.py')
DSL = osp.join(SPEED, 'dsl-mocov2_resnet18-teacher-resnet18_1xb32_speed.py')


class FakeStep:
    """Returns preset durations and logs who ran when."""

    def __init__(self, name, log, durations):
        self.name, self.log, self.durations = name, log, iter(durations)

    def __call__(self):
        self.log.append(self.name)
        return next(self.durations)


def test_time_interleaved_warms_up_then_alternates():
    log = []
    steps = dict(a=FakeStep('a', log, [9, 9, 1, 2, 3]),
                 b=FakeStep('b', log, [9, 9, 4, 5, 6]))
    times = bench.time_interleaved(steps, warmup=2, iters=3)
    assert log == ['a', 'a', 'b', 'b', 'a', 'b', 'a', 'b', 'a', 'b']
    assert times == dict(a=[1, 2, 3], b=[4, 5, 6])


def test_model_rows_medians_and_ratios():
    rows = bench.model_rows(
        times=dict(a=[0.3, 0.1, 0.2], b=[0.4, 0.6, 0.5, 0.9]),
        memory=dict(a=100., b=130.),
        batch_size=dict(a=32, b=32))
    a, b = rows
    assert a['step_ms'] == pytest.approx(200.)
    assert a['images_per_s'] == pytest.approx(160.)
    assert (a['step_ms_min'], a['step_ms_max']) == pytest.approx((100., 300.))
    assert b['step_ms'] == pytest.approx(550.)
    assert b['images_per_s'] == pytest.approx(32 / 0.55)
    assert b['step_ms_ratio'] == pytest.approx(2.75)
    assert b['images_per_s_ratio'] == pytest.approx(1 / 2.75)
    assert b['peak_memory_mib_ratio'] == pytest.approx(1.3)
    assert a['step_ms_ratio'] == a['peak_memory_mib_ratio'] == 1.
    table = bench.format_tables(rows, [], 'peak RSS increase', [])
    assert '| b | 550 | 400-900 | 58.2 | 130 | 2.75 | 0.36 | 1.30 |' in table


def test_reset_peak_rss_sees_a_new_allocation():
    # In a fresh process, as the memory probe runs: a long-lived process
    # (this pytest run) may satisfy the block from pages it already holds,
    # and then no RSS growth shows.
    code = (
        'import torch\n'
        'from mmdistill.apis import train_speed as bench\n'
        'baseline = bench.reset_peak_rss()\n'
        'block = torch.ones(64 * bench.MIB // 4)  # 64 MiB, pages touched\n'
        'print(bench._proc_status_mib("VmHWM") - baseline)\n')
    out = subprocess.run([sys.executable, '-c', code], check=True,
                         capture_output=True, text=True).stdout
    assert 64 <= float(out.split()[-1]) < 80


def test_speed_configs_compare_like_with_like():
    cfgs = [Config.fromfile(path) for path in (MOCO, SPT, DSL)]
    assert [c.model.type for c in cfgs] == [
        'ForeachEMAMoCo', 'SPT', 'DistilledMoCo'
    ]
    for cfg in cfgs:
        assert cfg.model.backbone.depth == 18
        assert cfg.model.neck.in_channels == 512
        assert cfg.model.queue_len == 2048
        assert cfg.train_dataloader.batch_size == 32
    assert cfgs[2].model.teacher.backbone.depth == 18


def test_missing_data_root_is_skipped_with_a_hint(capsys):
    cfg = Config.fromfile(MOCO)
    cfg.train_dataloader.dataset.data_root = '/nonexistent/cholec80'
    args = argparse.Namespace(data_workers=[0], data_batches=20, warmup=3)
    assert bench.benchmark_data(dict(moco=cfg), args) == []
    printed = capsys.readouterr().out
    assert "dataset root '/nonexistent/cholec80' does not exist" in printed
    assert 'tools/data/generate_synthetic.py' in printed


def test_random_teacher_loads_as_spt_export(tmp_path):
    init_default_scope('mmpretrain')
    teacher = Config.fromfile(DSL).model.teacher
    path = str(tmp_path / 'teacher.pth')
    bench.save_random_teacher(teacher, path)
    loaded = FrozenTeacher(**dict(teacher, checkpoint=path))
    assert loaded.embed_dim == 128
    assert torch.equal(loaded.neck.mlp[0].weight,
                       loaded.momentum_neck.mlp[0].weight)
