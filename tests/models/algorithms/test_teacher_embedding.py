"""What a neck-less FrozenTeacher embeds, per kind of backbone output, and
the probe at the backbone's own input size."""
import pytest
import torch
import torch.nn.functional as F

from mmdistill.models.algorithms import FrozenTeacher
from mmdistill.models.utils.embedding import input_size, pool_embedding
from mmdistill.registry import MODELS

TINY_VIT = dict(
    type='VisionTransformer',
    arch=dict(
        embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64),
    img_size=32,
    patch_size=8)
# A fixed-size timm ViT: 48 px inputs only, 9 patch tokens of 32 channels.
TIMM_VIT = dict(
    type='TIMMBackbone',
    model_name='vit_tiny_patch16_224',
    pretrained=False,
    img_size=48,
    depth=1,
    embed_dim=32,
    num_heads=2)


def _teacher(backbone: dict, **kwargs) -> FrozenTeacher:
    torch.manual_seed(0)
    return FrozenTeacher(backbone=backbone, **kwargs)


def _embed(teacher: FrozenTeacher, x: torch.Tensor) -> torch.Tensor:
    return teacher(x, num_views=1)[0][0]


@pytest.mark.parametrize('embed, out_type', [('cls_token', 'cls_token'),
                                             ('patch_mean', 'featmap')])
def test_vit_tokens_give_cls_token_or_patch_mean(embed, out_type):
    """Raw tokens, embedded by the teacher, against the same weights built
    with mmpretrain's own cls-token / patch-token outputs."""
    teacher = _teacher(dict(TINY_VIT, out_type='raw'), embed=embed)
    reference = MODELS.build(dict(TINY_VIT, out_type=out_type))
    reference.load_state_dict(teacher.backbone.state_dict())
    reference.eval()
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        expected = reference(x)[0]
    if out_type == 'featmap':
        expected = expected.mean((2, 3))
    torch.testing.assert_close(_embed(teacher, x), F.normalize(expected))
    assert teacher.embed_dim == 32


def test_vit_vector_outputs_are_used_as_they_are():
    teacher = _teacher(dict(TINY_VIT, out_type='avg_featmap'))
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = teacher.backbone(x)[0]
    torch.testing.assert_close(_embed(teacher, x), F.normalize(expected))


def test_timm_vit_is_probed_at_its_own_input_size():
    """This timm ViT only takes 48 px: a 64 px probe used to fail."""
    cls = _teacher(TIMM_VIT)
    mean = _teacher(TIMM_VIT, embed='patch_mean')
    assert input_size(cls.backbone) == (48, 48)
    assert cls.embed_dim == mean.embed_dim == 32
    x = torch.randn(2, 3, 48, 48)
    with torch.no_grad():
        tokens = cls.backbone(x)[0]
    assert tokens.shape == (2, 1 + 9, 32)
    torch.testing.assert_close(_embed(cls, x), F.normalize(tokens[:, 0]))
    torch.testing.assert_close(
        _embed(mean, x), F.normalize(tokens[:, 1:].mean(1)))


def test_feature_maps_are_average_pooled():
    feat = torch.randn(2, 5, 3, 4)
    torch.testing.assert_close(pool_embedding(feat), feat.mean((2, 3)))
    teacher = _teacher(dict(type='MobileNetV3', arch='small'))
    assert teacher.embed_dim == 576


def test_bad_embedding_choices_are_named():
    with pytest.raises(ValueError, match="teacher.embed must be one of"):
        _teacher(TIMM_VIT, embed='mean')
    with pytest.raises(ValueError, match="'patch_mean'"):
        pool_embedding(torch.randn(2, 4, 8), extra_tokens=0)
