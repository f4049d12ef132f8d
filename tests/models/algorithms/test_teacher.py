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
    torch.testing.assert_close(teacher.state_dict()['momentum_neck.mlp.0.weight'],
                               state['momentum_neck.module.mlp.0.weight'])
    # Same embeddings as the unfolded SPT network in eval mode (the
    # teacher folds its BatchNorms into the convolutions).
    assert not any(isinstance(m, torch.nn.BatchNorm2d)
                   for m in teacher.backbone.modules())
    reference = MODELS.build(BACKBONE)
    reference.eval()
    reference.load_state_dict({k[len('backbone.'):]: v for k, v in state.items()
                               if k.startswith('backbone.')})
    neck = MODELS.build(MOCO_NECK)
    neck.load_state_dict({k[len('neck.'):]: v for k, v in state.items()
                          if k.startswith('neck.')})
    x = torch.randn(3, 3, 32, 32)
    expected = torch.nn.functional.normalize(
        neck(reference(x))[0], dim=1)
    torch.testing.assert_close(teacher(x, num_views=1)[0][0], expected,
                               rtol=1e-4, atol=1e-5)
    teacher.train()
    assert not any(m.training for m in teacher.modules())
    assert not any(p.requires_grad for p in teacher.parameters())
    x = torch.randn(6, 3, 32, 32, requires_grad=True)
    query, key = teacher(x, num_views=2)
    assert query.shape == key.shape == (2, 3, 16)
    assert not query.requires_grad
    torch.testing.assert_close(query.norm(dim=-1), torch.ones(2, 3))


def test_mmpretrain_moco_checkpoint_embeds_keys_with_its_query_encoder(
        tmp_path):
    """MoCo's key head sits on its own key backbone: it must not be applied
    to the query backbone's features."""
    torch.manual_seed(1)
    moco = MODELS.build(
        dict(type='MoCo', backbone=BACKBONE, neck=MOCO_NECK, head=MOCO_HEAD,
             queue_len=16, feat_dim=16, data_preprocessor=PREPROCESSOR))
    with torch.no_grad():  # a key encoder that differs from the query one
        for p in moco.encoder_k.parameters():
            p.add_(0.1 * torch.randn_like(p))
    ckpt = str(tmp_path / 'moco.pth')
    torch.save({'state_dict': moco.state_dict()}, ckpt)
    with pytest.raises(CheckpointError, match="key_head='query'"):
        FrozenTeacher(**teacher_cfg(ckpt))
    teacher = FrozenTeacher(**teacher_cfg(ckpt, key_head='query'))
    assert teacher.momentum_neck is None
    moco.eval()
    x = torch.randn(3, 3, 32, 32)
    expected = torch.nn.functional.normalize(
        moco.neck(moco.backbone(x))[0], dim=1)
    query, key = teacher(x, num_views=1)
    torch.testing.assert_close(query[0], expected, rtol=1e-4, atol=1e-5)
    assert torch.equal(query, key)


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


def test_batch_norm_fold_is_skipped_when_it_would_change_outputs(tmp_path):
    """A BN registered after a convolution but applied before it."""
    from mmengine.registry import MODELS as ROOT_MODELS

    @ROOT_MODELS.register_module(force=True)
    class BnFirst(torch.nn.Module):

        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 3, 3)
            self.bn = torch.nn.BatchNorm2d(3)
            self.bn.running_mean.fill_(0.5)

        def forward(self, x):
            return (self.conv(self.bn(x)), )

    teacher = FrozenTeacher(backbone=dict(type='BnFirst', _scope_='mmengine'))
    assert isinstance(teacher.backbone.bn, torch.nn.BatchNorm2d)
    x = torch.randn(2, 3, 8, 8)
    net = teacher.backbone
    expected = torch.nn.functional.adaptive_avg_pool2d(
        net.conv(net.bn(x)), 1).flatten(1)
    torch.testing.assert_close(
        teacher(x, num_views=1)[0][0],
        torch.nn.functional.normalize(expected, dim=1))
