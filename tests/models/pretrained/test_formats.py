"""Key conversion of public checkpoint layouts, on hand-written state dicts."""
import pytest
import torch

from mmdistill.models.pretrained.formats import (convert_state_dict,
                                                 detect_format, source_parts,
                                                 strip_ddp_prefix)
from mmdistill.utils.checkpoint import CheckpointError


def tensors(*keys):
    """A state dict whose tensor values tell the keys apart."""
    return {k: torch.full((1, ), float(i)) for i, k in enumerate(keys)}


def renamed(source, mapping):
    """Expected result: ``mapping`` {new key: source key}, same tensors."""
    return {new: source[old] for new, old in mapping.items()}


def assert_same(result, expected):
    assert list(result) == list(expected)
    for key, value in expected.items():
        assert result[key] is value, key


TORCHVISION = tensors('conv1.weight', 'bn1.running_mean',
                      'layer1.0.downsample.0.weight', 'fc.weight', 'fc.bias')
MOCO_V2 = tensors('module.encoder_q.conv1.weight',
                  'module.encoder_q.layer4.1.bn2.bias',
                  'module.encoder_q.fc.0.weight', 'module.encoder_q.fc.0.bias',
                  'module.encoder_q.fc.2.weight', 'module.encoder_q.fc.2.bias',
                  'module.encoder_k.conv1.weight', 'module.queue',
                  'module.queue_ptr')
MMPRETRAIN_MOCO = tensors('backbone.conv1.weight', 'neck.mlp.0.weight',
                          'neck.mlp.2.bias', 'encoder_k.module.0.conv1.weight',
                          'queue', 'queue_ptr')


def test_torchvision_keeps_resnet_keys_and_drops_fc():
    assert_same(
        convert_state_dict(TORCHVISION, 'torchvision'),
        renamed(
            TORCHVISION, {
                k: k
                for k in ('conv1.weight', 'bn1.running_mean',
                          'layer1.0.downsample.0.weight')
            }))


def test_official_mocov2_query_encoder_to_backbone_and_neck():
    assert_same(
        convert_state_dict(MOCO_V2, 'mocov2', 'backbone'),
        renamed(
            MOCO_V2, {
                'conv1.weight': 'module.encoder_q.conv1.weight',
                'layer4.1.bn2.bias': 'module.encoder_q.layer4.1.bn2.bias',
            }))
    assert_same(
        convert_state_dict(MOCO_V2, 'mocov2', 'neck'),
        renamed(
            MOCO_V2, {
                'mlp.0.weight': 'module.encoder_q.fc.0.weight',
                'mlp.0.bias': 'module.encoder_q.fc.0.bias',
                'mlp.2.weight': 'module.encoder_q.fc.2.weight',
                'mlp.2.bias': 'module.encoder_q.fc.2.bias',
            }))


def test_official_mocov1_has_no_mlp_neck():
    moco_v1 = tensors('module.encoder_q.conv1.weight',
                      'module.encoder_q.fc.weight', 'module.encoder_q.fc.bias')
    with pytest.raises(CheckpointError, match='MoCo v1'):
        convert_state_dict(moco_v1, 'mocov2', 'neck')
    assert list(convert_state_dict(moco_v1, 'mocov2')) == ['conv1.weight']


def test_mmpretrain_selects_part_by_prefix():
    assert_same(
        convert_state_dict(MMPRETRAIN_MOCO, 'mmpretrain', 'neck'),
        renamed(MMPRETRAIN_MOCO, {
            'mlp.0.weight': 'neck.mlp.0.weight',
            'mlp.2.bias': 'neck.mlp.2.bias'
        }))
    assert_same(
        convert_state_dict({'module.' + k: v
                            for k, v in MMPRETRAIN_MOCO.items()}, 'auto'),
        renamed(MMPRETRAIN_MOCO, {'conv1.weight': 'backbone.conv1.weight'}))


def test_timm_prefixes_timm_model_and_drops_only_the_classifier():
    convnext = tensors('stem.0.weight', 'head.norm.weight', 'head.fc.weight')
    vit = tensors('pos_embed', 'head.weight', 'head.bias')
    efficientnet = tensors('conv_head.weight', 'classifier.weight')
    assert_same(
        convert_state_dict(convnext, 'timm'),
        renamed(convnext, {
            'timm_model.stem.0.weight': 'stem.0.weight',
            'timm_model.head.norm.weight': 'head.norm.weight'
        }))
    assert list(convert_state_dict(vit, 'timm')) == ['timm_model.pos_embed']
    assert list(convert_state_dict(efficientnet,
                                   'timm')) == ['timm_model.conv_head.weight']


@pytest.mark.parametrize('state_dict, target, fmt', [
    (MOCO_V2, None, 'mocov2'),
    (MMPRETRAIN_MOCO, None, 'mmpretrain'),
    (tensors('_conv_stem.weight', '_fc.weight'), None, 'efficientnet_lite0'),
    (TORCHVISION, ['conv1.weight'], 'torchvision'),
    (TORCHVISION, ['timm_model.conv1.weight'], 'timm'),
])
def test_detect_format(state_dict, target, fmt):
    assert detect_format(strip_ddp_prefix(state_dict), target) == fmt


def test_plain_torchvision_resnet_is_detected_without_a_target():
    assert detect_format(TORCHVISION) == 'torchvision'


def test_unknown_layout_names_the_formats():
    with pytest.raises(CheckpointError, match='Cannot tell .*format="timm"'):
        convert_state_dict(tensors('stem.weight', 'blocks.0.weight'), 'auto')


def test_unmapped_torchvision_architecture_lists_the_mapped_ones():
    mobilenet_v3 = tensors('features.0.0.weight',
                           'features.1.block.0.0.weight', 'classifier.0.weight')
    with pytest.raises(CheckpointError) as err:
        convert_state_dict(mobilenet_v3, 'torchvision')
    message = str(err.value)
    assert "No mapping from this torchvision architecture (keys like " \
        "'features.0.0.weight'" in message
    assert ('Supported: resnet -> ResNet/ResNeXt, mobilenet_v2 -> '
            'MobileNetV2, convnext -> ConvNeXt, vit -> VisionTransformer'
            ) in message


def test_source_parts():
    assert source_parts(MMPRETRAIN_MOCO, 'mmpretrain') == ('backbone', 'neck')
    assert source_parts(strip_ddp_prefix(MOCO_V2),
                        'mocov2') == ('backbone', 'neck')
    assert source_parts(TORCHVISION, 'torchvision') == ('backbone', )


@pytest.mark.parametrize('fmt, part, message', [
    ('caffe', 'backbone', "Unknown checkpoint format 'caffe'"),
    ('torchvision', 'neck', "provides the parts \\['backbone'\\], not 'neck'"),
    ('mmpretrain', 'head', "No weights for part 'head'.*'conv1.weight'"),
])
def test_bad_format_or_part_is_named(fmt, part, message):
    with pytest.raises(CheckpointError, match=message):
        convert_state_dict(TORCHVISION, fmt, part)
