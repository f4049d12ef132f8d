import pytest
import torch

from mmdistill.models.algorithms import FrozenTeacher
from mmdistill.registry import MODELS
from mmdistill.utils import CheckpointError
from tiny_models import (BACKBONE, MOCO_HEAD, MOCO_NECK, PREPROCESSOR,
                         make_teacher_checkpoint, teacher_cfg)


def test_loads_spt_checkpoint_and_stays_in_eval(tmp_path):
    ckpt = str(tmp_path / 'spt.pth')
    state = make_teacher_checkpoint(ckpt)
    teacher = FrozenTeacher(**teacher_cfg(ckpt))
    own = teacher.state_dict()
    torch.testing.assert_close(own['backbone.bn1.running_mean'],
                               state['backbone.bn1.running_mean'])
    torch.testing.assert_close(own['momentum_neck.mlp.0.weight'],
                               state['momentum_neck.module.mlp.0.weight'])
    teacher.train()
    assert not any(m.training for m in teacher.modules())
    assert not any(p.requires_grad for p in teacher.parameters())
    x = torch.randn(6, 3, 32, 32, requires_grad=True)
    query, key = teacher(x, num_views=2)
    assert query.shape == key.shape == (2, 3, 16)
    assert not query.requires_grad
    torch.testing.assert_close(query.norm(dim=-1), torch.ones(2, 3))


def test_loads_mmpretrain_moco_checkpoint(tmp_path):
    torch.manual_seed(1)
    moco = MODELS.build(
        dict(type='MoCo', backbone=BACKBONE, neck=MOCO_NECK, head=MOCO_HEAD,
             queue_len=16, feat_dim=16, data_preprocessor=PREPROCESSOR))
    torch.save({'state_dict': moco.state_dict()}, tmp_path / 'moco.pth')
    teacher = FrozenTeacher(**teacher_cfg(str(tmp_path / 'moco.pth')))
    torch.testing.assert_close(
        teacher.momentum_neck.state_dict()['mlp.2.weight'],
        moco.encoder_k.module[1].state_dict()['mlp.2.weight'])


def test_missing_momentum_head_names_the_fix(tmp_path):
    ckpt = tmp_path / 'no_momentum.pth'
    state = make_teacher_checkpoint(str(ckpt))
    torch.save({k: v for k, v in state.items() if 'momentum' not in k}, ckpt)
    with pytest.raises(CheckpointError, match="key_head='query'"):
        FrozenTeacher(**teacher_cfg(str(ckpt)))
    teacher = FrozenTeacher(**teacher_cfg(str(ckpt), key_head='query'))
    query, key = teacher(torch.randn(2, 3, 32, 32), num_views=1)
    assert torch.equal(query, key)


def test_wrong_architecture_is_refused(tmp_path):
    ckpt = str(tmp_path / 'spt.pth')
    make_teacher_checkpoint(ckpt)
    with pytest.raises(CheckpointError, match='lacks'):
        FrozenTeacher(
            backbone=dict(type='ResNet', depth=34), neck=MOCO_NECK,
            checkpoint=ckpt)
    wide_neck = dict(MOCO_NECK, hid_channels=64)
    with pytest.raises(CheckpointError, match='does not fit'):
        FrozenTeacher(backbone=BACKBONE, neck=wide_neck, checkpoint=ckpt)


def test_backbone_only_teacher_pools_features(tmp_path):
    ckpt = str(tmp_path / 'spt.pth')
    make_teacher_checkpoint(ckpt)
    teacher = FrozenTeacher(backbone=BACKBONE, checkpoint=ckpt)
    assert teacher.embed_dim == 512
    assert teacher.momentum_neck is None
