"""Public families converted and loaded exactly, proven by their outputs.

Each public model is built locally with random weights (random BN statistics
and layer scales too, so that a swapped or skipped tensor shows), saved in
its publisher's layout, loaded through mmdistill's ``Pretrained``
initializer (format detected, exact fit), and must compute what the public
model computes on the same input.
"""
import pytest
import timm
import torch
import torchvision
from mmpretrain.registry import MODELS
from torch import nn
from torchvision.models.convnext import CNBlockConfig, ConvNeXt
from torchvision.models.vision_transformer import VisionTransformer

import mmdistill.models.pretrained  # noqa: F401  (registers the initializer)


def scrambled(module: nn.Module, seed: int) -> nn.Module:
    """Every float tensor random: N(0, 0.2^2), variances U(0.5, 1.5)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for key, tensor in module.state_dict().items():
            if not tensor.is_floating_point():
                continue
            if key.endswith('running_var'):
                tensor.copy_(torch.rand(tensor.shape, generator=generator))
                tensor.add_(0.5)
            else:
                tensor.copy_(
                    torch.randn(tensor.shape, generator=generator) * 0.2)
    return module.eval()


def loaded(cfg: dict, public: nn.Module, path) -> nn.Module:
    torch.save(public.state_dict(), path)
    model = MODELS.build(
        dict(cfg, init_cfg=dict(type='Pretrained', _scope_='mmdistill',
                                checkpoint=str(path))))
    model.init_weights()
    model.eval()  # some backbones' train() returns None
    return model


def image(size: int = 32) -> torch.Tensor:
    return torch.randn(2, 3, size, size,
                       generator=torch.Generator().manual_seed(0))


def vit_cls_token(vit: VisionTransformer, x: torch.Tensor) -> torch.Tensor:
    """torchvision ViT's class-token representation (before ``heads``)."""
    tokens = vit._process_input(x)
    tokens = torch.cat([vit.class_token.expand(len(x), -1, -1), tokens], 1)
    return vit.encoder(tokens)[:, 0]


CASES = {
    'mobilenet_v2': (
        lambda: torchvision.models.mobilenet_v2(width_mult=0.25),
        dict(type='MobileNetV2', widen_factor=0.25, out_indices=(7, )),
        lambda public, x: public.features(x)),
    'convnext': (
        lambda: ConvNeXt([CNBlockConfig(8, 16, 1), CNBlockConfig(16, 32, 2),
                          CNBlockConfig(32, 64, 1), CNBlockConfig(64, None,
                                                                  1)]),
        dict(type='ConvNeXt',
             arch=dict(depths=[1, 2, 1, 1], channels=[8, 16, 32, 64])),
        lambda public, x: public.classifier[:2](
            public.avgpool(public.features(x)))),
    'vit': (
        lambda: VisionTransformer(32, 8, num_layers=2, num_heads=2,
                                  hidden_dim=32, mlp_dim=64),
        dict(type='VisionTransformer', img_size=32, patch_size=8,
             out_type='cls_token',
             arch=dict(embed_dims=32, num_layers=2, num_heads=2,
                       feedforward_channels=64)),
        vit_cls_token),
}


@pytest.mark.parametrize('name', list(CASES))
def test_torchvision_family_computes_the_same(name, tmp_path):
    build_public, cfg, reference = CASES[name]
    public = scrambled(build_public(), seed=1)
    model = loaded(cfg, public, tmp_path / f'{name}.pth')
    x = image()
    with torch.no_grad():
        expected, actual = reference(public, x), model(x)[-1]
    assert actual.shape == expected.shape
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('model_name, kwargs', [
    ('resnet18', {}),
    ('vit_tiny_patch16_224', dict(img_size=32)),
])
def test_timm_model_in_timm_backbone_computes_the_same(model_name, kwargs,
                                                       tmp_path):
    public = scrambled(timm.create_model(model_name, **kwargs), seed=2)
    model = loaded(dict(type='TIMMBackbone', model_name=model_name, **kwargs),
                   public, tmp_path / 'timm.pth')
    x = image()
    with torch.no_grad():
        expected, actual = public.forward_features(x), model(x)[-1]
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-5)
