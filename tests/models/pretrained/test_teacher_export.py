"""The exported SPT teacher: written by ``export_teacher``, loaded by
:class:`FrozenTeacher`."""
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mmdistill.models.algorithms import FrozenTeacher
from mmdistill.models.pretrained import export_teacher
from mmdistill.utils import CheckpointError
from tiny_models import make_teacher_checkpoint, teacher_cfg

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
SPT_CFG = ("model = dict(type='SPT', backbone=dict(type='ResNet', depth=18, "
           "init_cfg=dict(type='Pretrained', checkpoint='torchvision://"
           "resnet18')))\n")


@pytest.fixture(scope='module')
def spt(tmp_path_factory):
    """An SPT training checkpoint as the Runner saves it, with its config."""
    path = tmp_path_factory.mktemp('spt') / 'epoch_3.pth'
    state = make_teacher_checkpoint(str(path))
    torch.save(
        dict(meta=dict(epoch=3, iter=30, cfg=SPT_CFG), state_dict=state,
             optimizer=dict(state={}, param_groups=[])), path)
    return str(path), state


def test_export_keeps_the_three_parts_and_records_the_source(spt, tmp_path):
    src, state = spt
    dst = tmp_path / 'teacher.pth'
    meta = export_teacher(src, str(dst))
    exported = torch.load(dst, weights_only=True)
    assert exported['meta'] == meta == dict(
        algorithm='SPT', public_model='torchvision://resnet18',
        spt_checkpoint=src, epoch=3, iter=30, key_head='momentum')
    expected = {
        k.replace('momentum_neck.module.', 'momentum_neck.'): v
        for k, v in state.items()
        if k.split('.', 1)[0] in ('backbone', 'neck') or
        k.startswith('momentum_neck.module.')
    }
    assert sorted(exported['state_dict']) == sorted(expected)
    for key, value in expected.items():
        assert torch.equal(exported['state_dict'][key], value), key
    assert [p.name for p in tmp_path.iterdir()] == ['teacher.pth']


def test_export_loads_as_the_same_teacher(spt, tmp_path):
    src, _ = spt
    export_teacher(src, str(tmp_path / 'teacher.pth'))
    from_export = FrozenTeacher(**teacher_cfg(str(tmp_path / 'teacher.pth')))
    from_run = FrozenTeacher(**teacher_cfg(src))
    x = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    for a, b in zip(from_export(x, num_views=2), from_run(x, num_views=2)):
        assert torch.equal(a, b)


def test_run_without_momentum_head_exports_a_query_teacher(spt, tmp_path):
    _, state = spt
    src = tmp_path / 'no_momentum.pth'
    torch.save({'state_dict': {k: v for k, v in state.items()
                               if not k.startswith('momentum_neck.')}}, src)
    meta = export_teacher(str(src), str(tmp_path / 'teacher.pth'))
    assert meta['key_head'] == 'query'
    assert meta['public_model'].startswith('unknown')


def test_tool_refuses_a_checkpoint_without_a_neck(tmp_path):
    src = tmp_path / 'backbone_only.pth'
    torch.save({'state_dict': {'backbone.conv1.weight': torch.zeros(1)}}, src)
    dst = tmp_path / 'teacher.pth'
    result = subprocess.run(
        [sys.executable, 'tools/model_converters/export_teacher.py',
         str(src), str(dst)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0
    assert f"{src}: not an SPT checkpoint: it has no ['neck'] weights" in \
        result.stderr
    assert not dst.exists()
    with pytest.raises(CheckpointError, match='backbone_only.pth'):
        export_teacher(str(src), str(dst))
