"""The frozen teacher loads its checkpoint exactly, through the shared fit
check of :mod:`mmdistill.models.pretrained.fit`."""
import pytest
import torch

from mmdistill.models.algorithms import FrozenTeacher
from mmdistill.registry import MODELS
from mmdistill.utils import CheckpointError
from tiny_models import BACKBONE, MOCO_NECK, spt_cfg, teacher_cfg


def test_deeper_spt_checkpoint_is_not_truncated_to_the_teacher(tmp_path):
    """An SPT ResNet-34 run must not become a ResNet-18 teacher."""
    spt = MODELS.build(dict(spt_cfg(), backbone=dict(BACKBONE, depth=34)))
    torch.save({'state_dict': spt.state_dict()}, tmp_path / 'spt_r34.pth')
    with pytest.raises(CheckpointError) as err:
        FrozenTeacher(**teacher_cfg(str(tmp_path / 'spt_r34.pth')))
    message = str(err.value)
    assert 'spt_r34.pth' in message and 'does not fit FrozenTeacher' in message
    assert ("96 unexpected tensors, e.g. 'backbone.layer1.2.conv1.weight'"
            in message)
    assert 'deeper' in message


def test_extra_neck_tensors_are_refused(tmp_path):
    spt = MODELS.build(spt_cfg())
    state = dict(spt.state_dict())
    state['neck.mlp.4.weight'] = torch.zeros(16, 16)
    torch.save({'state_dict': state}, tmp_path / 'spt.pth')
    with pytest.raises(CheckpointError,
                       match="1 unexpected tensors, e.g. 'neck.mlp.4.weight'"):
        FrozenTeacher(**teacher_cfg(str(tmp_path / 'spt.pth')))


def test_parts_the_teacher_does_not_have_are_not_loaded(tmp_path):
    """Without a neck the teacher takes the backbone only; with
    key_head='query' it takes no momentum head."""
    spt = MODELS.build(spt_cfg())
    state = spt.state_dict()
    torch.save({'state_dict': state}, tmp_path / 'spt.pth')
    backbone_only = FrozenTeacher(backbone=BACKBONE,
                                  checkpoint=str(tmp_path / 'spt.pth'))
    assert backbone_only.neck is None
    query_only = FrozenTeacher(
        backbone=BACKBONE, neck=MOCO_NECK, key_head='query',
        checkpoint=str(tmp_path / 'spt.pth'))
    assert query_only.momentum_neck is None
    assert torch.equal(query_only.neck.state_dict()['mlp.2.weight'],
                       state['neck.mlp.2.weight'])
