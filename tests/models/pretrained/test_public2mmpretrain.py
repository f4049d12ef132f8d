"""Checkpoint conversion (``convert_checkpoint``) and its tool, end to end."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torchvision
from mmpretrain.registry import MODELS

from mmdistill.models.pretrained import convert_checkpoint
from mmdistill.utils import CheckpointError, save_checkpoint_file

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
TOOL = osp.join(ROOT, 'tools', 'model_converters', 'public2mmpretrain.py')


@pytest.fixture(scope='module')
def resnet18():
    torch.manual_seed(0)
    return torchvision.models.resnet18().state_dict()


@pytest.fixture(scope='module')
def official_mocov2(tmp_path_factory, resnet18):
    """An official MoCo v2 checkpoint of a ResNet-18 (512-512-128 MLP)."""
    query = {k: v for k, v in resnet18.items() if not k.startswith('fc.')}
    query.update({
        'fc.0.weight': torch.rand(512, 512),
        'fc.0.bias': torch.rand(512),
        'fc.2.weight': torch.rand(128, 512),
        'fc.2.bias': torch.rand(128)
    })
    state_dict = {'module.encoder_q.' + k: v for k, v in query.items()}
    state_dict.update({'module.encoder_k.' + k: v for k, v in query.items()})
    state_dict['module.queue'] = torch.rand(128, 64)
    path = tmp_path_factory.mktemp('moco') / 'moco_v2_200ep_pretrain.pth.tar'
    torch.save(
        dict(epoch=200, arch='resnet18', state_dict=state_dict, optimizer={}),
        path)
    return str(path), query


def test_mocov2_to_backbone_and_neck(official_mocov2):
    src, query = official_mocov2
    out = convert_checkpoint(src)
    assert out['meta'] == {'source': src, 'format': 'mocov2'}
    expected = {
        ('neck.mlp.' + k[len('fc.'):] if k.startswith('fc.') else
         'backbone.' + k): v
        for k, v in query.items()
    }
    assert sorted(out['state_dict']) == sorted(expected)
    for key, value in expected.items():
        assert torch.equal(out['state_dict'][key], value), key


def test_output_loads_with_mmengine_pretrained(official_mocov2, resnet18,
                                               tmp_path):
    dst = str(tmp_path / 'r18.pth')
    save_checkpoint_file(
        convert_checkpoint(official_mocov2[0], parts=['backbone']), dst)
    backbone = MODELS.build(
        dict(
            type='ResNet',
            depth=18,
            init_cfg=dict(
                type='Pretrained', checkpoint=dst, prefix='backbone.')))
    backbone.init_weights()
    for key, value in backbone.state_dict().items():
        assert torch.equal(value, resnet18[key]), key


def test_plain_torchvision_resnet_is_detected(resnet18, tmp_path):
    src = str(tmp_path / 'resnet18.pth')
    torch.save(resnet18, src)
    out = convert_checkpoint(src)
    assert out['meta']['format'] == 'torchvision'
    assert sorted(out['state_dict']) == sorted(
        'backbone.' + k for k in resnet18 if not k.startswith('fc.'))
    keys = list(convert_checkpoint(src, 'timm')['state_dict'])
    assert keys[0] == 'backbone.timm_model.conv1.weight'
    assert not any('fc.' in k for k in keys)


def test_unmapped_architecture_is_refused_by_the_tool(tmp_path):
    """A torchvision MobileNetV3 has no mapping: no output, mapped ones
    listed (it used to be 'converted' into keys nothing loads)."""
    src = tmp_path / 'mobilenet_v3.pth'
    torch.save(torchvision.models.mobilenet_v3_small().state_dict(), src)
    with pytest.raises(CheckpointError, match='mobilenet_v3.pth: No mapping'):
        convert_checkpoint(str(src), 'torchvision')
    dst = tmp_path / 'out.pth'
    result = subprocess.run(
        [sys.executable, TOOL, str(src), str(dst), '--format', 'torchvision'],
        capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0
    assert 'Supported: resnet -> ResNet/ResNeXt, mobilenet_v2' in \
        result.stderr
    assert list(tmp_path.iterdir()) == [src]


def test_runs_as_a_script(official_mocov2, tmp_path):
    dst = tmp_path / 'r18.pth'
    result = subprocess.run(
        [sys.executable, TOOL, official_mocov2[0],
         str(dst), '--part', 'neck'],
        capture_output=True,
        text=True,
        cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert '(mocov2) -> ' in result.stdout and '4 tensors' in result.stdout
    assert list(torch.load(dst, weights_only=True)['state_dict']) == [
        'neck.mlp.0.weight', 'neck.mlp.0.bias', 'neck.mlp.2.weight',
        'neck.mlp.2.bias'
    ]
