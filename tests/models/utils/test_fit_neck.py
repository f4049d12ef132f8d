"""A backbone output that does not fit the neck fails at build time, naming
the key to change and the value that fits."""
import pytest
import torch

from mmdistill.models.algorithms import FrozenTeacher
from mmdistill.registry import MODELS
from tiny_models import BACKBONE, MOCO_NECK, spt_cfg, views

TINY_VIT = dict(
    type='VisionTransformer',
    arch=dict(
        embed_dims=32, num_layers=1, num_heads=2, feedforward_channels=64),
    img_size=32,
    patch_size=8)
VIT_NECK = dict(MOCO_NECK, in_channels=32)


def _spt(**parts) -> dict:
    cfg = spt_cfg()
    cfg.update(parts)
    return cfg


def test_vit_cls_token_into_a_pooling_neck():
    """Used to build, then fail at the first step inside the neck with
    'Input dimension should be at least 3'."""
    cfg = _spt(backbone=dict(TINY_VIT, out_type='cls_token'), neck=VIT_NECK)
    with pytest.raises(ValueError) as err:
        MODELS.build(cfg)
    message = str(err.value)
    assert 'model.backbone (VisionTransformer) outputs [(2, 32)]' in message
    assert 'model.neck.with_avg_pool=False' in message
    assert "model.backbone.out_type='featmap'" in message
    # Either fix builds and trains a step.
    for fix in (dict(neck=dict(VIT_NECK, with_avg_pool=False)),
                dict(backbone=dict(TINY_VIT, out_type='featmap'))):
        model = MODELS.build(dict(cfg, **fix))
        assert model.loss(views(), [])['loss'].isfinite()


def test_feature_map_into_a_neck_that_does_not_pool():
    cfg = _spt(neck=dict(MOCO_NECK, with_avg_pool=False))
    with pytest.raises(ValueError, match=r'model\.neck\.with_avg_pool=True'):
        MODELS.build(cfg)


def test_channels_name_the_value_that_fits():
    cfg = _spt(neck=dict(MOCO_NECK, in_channels=2048))
    with pytest.raises(ValueError,
                       match=r'model\.neck\.in_channels=512 \(now 2048\)'):
        MODELS.build(cfg)


def test_several_outputs_name_out_indices():
    cfg = _spt(backbone=dict(BACKBONE, out_indices=(2, 3)))
    with pytest.raises(ValueError,
                       match=r'model\.backbone\.out_indices=\(3, \)'):
        MODELS.build(cfg)


def test_teacher_and_student_keys():
    teacher = dict(backbone=BACKBONE, neck=dict(MOCO_NECK, in_channels=64))
    with pytest.raises(ValueError,
                       match=r'model\.teacher\.neck\.in_channels=512'):
        FrozenTeacher(**teacher)
    student = dict(
        type='DistilledMoCo',
        backbone=dict(TINY_VIT, out_type='raw'),
        neck=VIT_NECK,
        head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss')),
        teacher=dict(backbone=BACKBONE),
        queue_len=16,
        feat_dim=16)
    with pytest.raises(ValueError,
                       match=r"model\.backbone\.out_type='featmap'"):
        MODELS.build(student)


def test_timm_tokens_point_to_a_pooled_backbone_or_no_neck():
    backbone = dict(
        type='TIMMBackbone', model_name='test_vit', pretrained=False)
    with pytest.raises(ValueError, match='no neck'):
        FrozenTeacher(backbone=backbone, neck=dict(MOCO_NECK, in_channels=64))
    assert FrozenTeacher(backbone=backbone).embed_dim == 64


def test_fitting_backbone_is_left_untouched():
    model = MODELS.build(_spt())
    model.train()
    assert model.neck.training and not model.backbone.training
    torch.manual_seed(0)
    assert model.loss(views(), [])['loss'].isfinite()
