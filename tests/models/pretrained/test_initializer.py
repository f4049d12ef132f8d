"""mmdistill's ``Pretrained`` initializer on checkpoints in published layouts.

The checkpoints are made here, in the exact key layouts of their publishers,
from randomised ResNet-18s (random BN statistics too, so that a tensor left
at its default or re-initialised after loading cannot pass for a loaded one).
"""
import logging
import os.path as osp
import re
from collections import OrderedDict

import pytest
import timm
import torch
import torchvision
from mmengine.logging import MMLogger
from mmengine.runner.checkpoint import get_torchvision_models
from mmpretrain.registry import MODELS
from torch import nn

import mmdistill.models.pretrained  # noqa: F401  (registers the initializer)
from mmdistill.utils.checkpoint import CheckpointError


def randomised(module: nn.Module, seed: int) -> nn.Module:
    """Fill every float parameter and buffer with U(0.5, 1.5)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for tensor in module.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(torch.rand(tensor.shape, generator=generator))
                tensor.add_(0.5)
    return module


def public_init(checkpoint, **kwargs):
    return dict(
        type='Pretrained', _scope_='mmdistill', checkpoint=checkpoint,
        **kwargs)


def built(cfg: dict) -> nn.Module:
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def resnet18(checkpoint, **kwargs):
    return built(
        dict(type='ResNet', depth=18,
             init_cfg=public_init(checkpoint, **kwargs)))


def assert_holds(module: nn.Module, expected: dict) -> None:
    """Every tensor of ``module`` equals ``expected`` (no others exist)."""
    actual = module.state_dict()
    assert sorted(actual) == sorted(expected)
    for key, value in expected.items():
        assert torch.equal(actual[key], value), key


@pytest.fixture(scope='module')
def torchvision_r18():
    """torchvision ``resnet18().state_dict()``, as published."""
    return randomised(torchvision.models.resnet18(), 0).state_dict()


@pytest.fixture(scope='module')
def r18_backbone(torchvision_r18):
    """What mmpretrain's ResNet-18 must hold after loading it."""
    return OrderedDict(
        (k, v) for k, v in torchvision_r18.items() if not k.startswith('fc.'))


@pytest.fixture(scope='module')
def mlp():
    """MoCo v2 projection of a ResNet-18: 512 -> 512 -> ReLU -> 128."""
    return OrderedDict((k, torch.rand(s)) for k, s in (
        ('0.weight', (512, 512)), ('0.bias', (512, )),
        ('2.weight', (128, 512)), ('2.bias', (128, ))))


def prefixed(prefix: str, state_dict: dict) -> OrderedDict:
    return OrderedDict((prefix + k, v) for k, v in state_dict.items())


def official_mocov2(query: dict, key: dict) -> dict:
    """``facebookresearch/moco`` main_moco.py's saved checkpoint."""
    state_dict = OrderedDict(
        **prefixed('module.encoder_q.', query),
        **prefixed('module.encoder_k.', key),
        **{
            'module.queue': torch.rand(128, 64),
            'module.queue_ptr': torch.zeros(1, dtype=torch.long)
        })
    optimizer = dict(state={}, param_groups=[dict(lr=0.03, params=[0, 1])])
    return dict(
        epoch=200, arch='resnet18', state_dict=state_dict, optimizer=optimizer)


def mmpretrain_zoo(*state_dicts: dict) -> dict:
    """An mmpretrain model-zoo checkpoint: ``{'meta', 'state_dict'}``."""
    state_dict = OrderedDict()
    for weights in state_dicts:
        state_dict.update(weights)
    return dict(meta=dict(epoch=100), state_dict=state_dict)


@pytest.fixture(scope='module')
def files(tmp_path_factory, torchvision_r18, r18_backbone, mlp):
    key = randomised(torchvision.models.resnet18(), 1).state_dict()
    key_backbone = {k: v for k, v in key.items() if not k.startswith('fc.')}
    contents = dict(
        torchvision=torchvision_r18,
        mocov2=official_mocov2(
            dict(r18_backbone, **prefixed('fc.', mlp)),
            dict(key_backbone, **prefixed('fc.', mlp))),
        supervised_zoo=mmpretrain_zoo(
            prefixed('backbone.', r18_backbone), {
                'head.fc.weight': torchvision_r18['fc.weight'],
                'head.fc.bias': torchvision_r18['fc.bias']
            }),
        moco_zoo=mmpretrain_zoo(
            prefixed('backbone.', r18_backbone),
            prefixed('neck.mlp.', mlp),
            prefixed('encoder_k.module.0.', key_backbone),
            {'queue': torch.rand(128, 64)}))
    root = tmp_path_factory.mktemp('public')
    for name, content in contents.items():
        torch.save(content, root / f'{name}.pth')
    return {name: str(root / f'{name}.pth') for name in contents}


@pytest.mark.parametrize('name', ['torchvision', 'supervised_zoo'])
def test_resnet18_holds_the_published_backbone(files, r18_backbone, name):
    # Also proves ResNet's zero_init_residual did not zero bn2 afterwards.
    assert_holds(resnet18(files[name]), r18_backbone)


@pytest.mark.parametrize('name', ['mocov2', 'moco_zoo'])
def test_moco_model_gets_backbone_and_mlp_neck(files, r18_backbone, mlp,
                                               name):
    model = built(
        dict(
            type='MoCo',
            queue_len=64,
            feat_dim=128,
            backbone=dict(
                type='ResNet', depth=18, init_cfg=public_init(files[name])),
            neck=dict(
                type='MoCoV2Neck',
                in_channels=512,
                hid_channels=512,
                out_channels=128,
                init_cfg=public_init(files[name], part='neck')),
            head=dict(
                type='ContrastiveHead',
                loss=dict(type='CrossEntropyLoss'),
                temperature=0.2)))
    assert_holds(model.backbone, r18_backbone)
    assert_holds(model.neck, {'mlp.' + k: v for k, v in mlp.items()})


def test_torchvision_scheme_reads_the_torch_hub_cache(
        files, r18_backbone, tmp_path, monkeypatch):
    cached = osp.basename(get_torchvision_models()['resnet18'])
    (tmp_path / 'hub' / 'checkpoints').mkdir(parents=True)
    (tmp_path / 'hub' / 'checkpoints' / cached).write_bytes(
        open(files['torchvision'], 'rb').read())
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    assert_holds(resnet18('torchvision://resnet18'), r18_backbone)


def test_timm_resnet_into_timm_backbone(tmp_path):
    timm_r18 = randomised(timm.create_model('resnet18'), 2).state_dict()
    torch.save(timm_r18, tmp_path / 'timm_resnet18.pth')
    backbone = built(
        dict(
            type='TIMMBackbone',
            model_name='resnet18',
            init_cfg=public_init(str(tmp_path / 'timm_resnet18.pth'))))
    assert_holds(
        backbone, {
            'timm_model.' + k: v
            for k, v in timm_r18.items() if not k.startswith('fc.')
        })


def test_vision_transformer_keeps_pos_embed_and_ffn(tmp_path):
    vit = dict(
        type='VisionTransformer',
        arch=dict(
            embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64),
        img_size=32)
    weights = randomised(MODELS.build(vit), 3).state_dict()
    torch.save({'state_dict': {'backbone.' + k: v
                               for k, v in weights.items()}},
               tmp_path / 'vit.pth')
    assert_holds(
        built(dict(vit, init_cfg=public_init(str(tmp_path / 'vit.pth')))),
        weights)


def test_checkpoint_without_bn_counters_still_fills_everything(
        tmp_path, r18_backbone):
    old_style = {
        k: v
        for k, v in r18_backbone.items()
        if not k.endswith('num_batches_tracked')
    }
    torch.save(old_style, tmp_path / 'resnet18-2017.pth')
    loaded = resnet18(str(tmp_path / 'resnet18-2017.pth')).state_dict()
    for key, value in old_style.items():
        assert torch.equal(loaded[key], value), key


def test_resnet50_weights_into_resnet18_are_refused(tmp_path):
    r50 = torchvision.models.resnet50().state_dict()
    torch.save(r50, tmp_path / 'r50.pth')
    with pytest.raises(CheckpointError) as err:
        resnet18(str(tmp_path / 'r50.pth'))
    message = str(err.value)
    assert 'r50.pth' in message and "format 'torchvision'" in message
    assert ("'layer1.0.conv1.weight': checkpoint (64, 64, 1, 1) vs model "
            '(64, 64, 3, 3)') in message
    assert "unexpected tensors, e.g. 'layer1.0.conv3.weight'" in message
    assert 'bottleneck blocks' in message


def test_unrelated_checkpoint_is_refused_with_key_names(tmp_path):
    torch.save({'encoder.weight': torch.zeros(3)}, tmp_path / 'random.pth')
    with pytest.raises(CheckpointError) as err:
        resnet18(str(tmp_path / 'random.pth'))
    message = str(err.value)
    assert 'random.pth: Cannot tell the checkpoint format' in message
    assert "'encoder.weight'" in message


def test_partial_load_is_refused_unless_asked_for(tmp_path, r18_backbone):
    without_layer4 = {
        k: v
        for k, v in r18_backbone.items() if not k.startswith('layer4.')
    }
    torch.save(without_layer4, tmp_path / 'partial.pth')
    with pytest.raises(CheckpointError, match=r"lacks 25 of its 100 weights, "
                       r"e.g. 'layer4.0.conv1.weight'"):
        resnet18(str(tmp_path / 'partial.pth'))
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: records.append(record.getMessage())
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        fresh = resnet18(str(tmp_path / 'partial.pth'), allow_partial=True)
    finally:
        logger.removeHandler(handler)
    log = '\n'.join(records)
    listed = re.search(r'these 25 tensors stay random: (.*)', log).group(1)
    assert sorted(listed.split(', ')) == sorted(
        k for k in r18_backbone
        if k.startswith('layer4.') and not k.endswith('num_batches_tracked'))
    assert torch.equal(fresh.layer3[1].bn2.weight,
                       without_layer4['layer3.1.bn2.weight'])


def test_deeper_resnet_into_resnet18_is_refused(tmp_path):
    """ResNet-34 fills every ResNet-18 tensor, with 96 tensors left over."""
    torch.save(torchvision.models.resnet34().state_dict(), tmp_path / 'r34.pth')
    with pytest.raises(CheckpointError) as err:
        resnet18(str(tmp_path / 'r34.pth'))
    message = str(err.value)
    assert 'r34.pth' in message
    assert "96 unexpected tensors, e.g. 'layer1.2.conv1.weight'" in message
    assert 'deeper' in message and 'depth' in message
    assert 'allow_partial=True' in message


def test_plain_stem_into_deep_stem_resnet_is_refused(tmp_path):
    """torchvision's ResNet-50 into ResNetV1c would leave the stem random."""
    torch.save(torchvision.models.resnet50().state_dict(), tmp_path / 'r50.pth')
    with pytest.raises(CheckpointError) as err:
        built(dict(type='ResNetV1c', depth=50,
                   init_cfg=public_init(str(tmp_path / 'r50.pth'))))
    message = str(err.value)
    assert "lacks 15 of its 275 weights, e.g. 'stem.0.conv.weight'" in message
    assert "'conv1.weight'" in message
    assert 'ResNetV1c/ResNetV1d' in message and "type='ResNet'" in message
