"""The real ImageNet EfficientNet-Lite0/Lite2 of efficientnet-liteN-pytorch-
model.

Proof that the converted weights are right: each classifier names the
ImageNet classes of real photographs shipped with scikit-image, at its own
resolution (Lite0 224 px, Lite2 260 px). Probabilities were measured once and
are pinned, so a misconverted tensor or normalisation shows.
"""
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from PIL import Image
from skimage import data

from mmdistill.models.pretrained import (MEAN, STD, VARIANTS,
                                         build_efficientnet_lite_classifier,
                                         detect_format,
                                         efficientnet_lite_to_timm)
from mmdistill.models.pretrained.efficientnet_lite import \
    package_checkpoint_path
from mmdistill.utils.checkpoint import CheckpointError, load_checkpoint_file

TIGER_CAT, EGYPTIAN_CAT, ESPRESSO = 282, 285, 967
CATS = range(281, 286)
# ImageNet evaluation resize before the centre crop (timm's crop_pct).
RESIZE = {'lite0': 256, 'lite2': 292}


@pytest.fixture(scope='module', params=sorted(VARIANTS))
def variant(request):
    return request.param


@pytest.fixture(scope='module')
def package_weights(variant):
    return load_checkpoint_file(package_checkpoint_path(variant))


@pytest.fixture(scope='module')
def classifier(variant):
    return build_efficientnet_lite_classifier(variant)


def normalised(image: np.ndarray) -> torch.Tensor:
    pixels = torch.from_numpy(image.copy()).permute(2, 0, 1).float()
    mean, std = torch.tensor(MEAN), torch.tensor(STD)
    return (pixels - mean[:, None, None]) / std[:, None, None]


def whole_photo(image: np.ndarray, size: int) -> torch.Tensor:
    """The whole photograph resized to size x size (bilinear)."""
    return F.interpolate(
        normalised(image)[None], (size, size), mode='bilinear',
        align_corners=False)[0]


def center_crop(image: np.ndarray, resize: int, size: int) -> torch.Tensor:
    """ImageNet evaluation: shorter side to ``resize`` (bicubic), centre
    ``size``."""
    photo = Image.fromarray(image)
    scale = resize / min(photo.size)
    photo = photo.resize(
        (round(photo.width * scale), round(photo.height * scale)),
        Image.BICUBIC)
    left, top = (photo.width - size) // 2, (photo.height - size) // 2
    return normalised(
        np.asarray(photo.crop((left, top, left + size, top + size))))


def top2(classifier, image: torch.Tensor, what: str):
    with torch.no_grad():
        probs = classifier(image[None]).softmax(-1)[0]
    values, classes = probs.topk(2)
    print(f'{what}: top-1 class {classes[0].item()} p={values[0].item():.3f}')
    return classes.tolist(), values.tolist()


def test_package_tensors_map_onto_timm_by_position(variant, package_weights):
    converted = efficientnet_lite_to_timm(package_weights, variant)
    assert len(converted) == len(package_weights) == \
        VARIANTS[variant].num_tensors
    for (src, tensor), (dst, same) in zip(package_weights.items(),
                                          converted.items()):
        assert same is tensor, (src, dst)
    pairs = dict(zip(package_weights, converted))
    assert pairs['_conv_stem.weight'] == 'conv_stem.weight'
    assert pairs['_blocks.0._depthwise_conv.weight'] == \
        'blocks.0.0.conv_dw.weight'
    assert pairs['_blocks.1._expand_conv.weight'] == \
        'blocks.1.0.conv_pw.weight'
    last = max(int(k.split('.')[1]) for k in package_weights
               if k.startswith('_blocks.'))
    assert pairs[f'_blocks.{last}._project_conv.weight'] == \
        'blocks.6.0.conv_pwl.weight'
    assert pairs['_bn1.running_var'] == 'bn2.running_var'
    assert pairs['_fc.weight'] == 'classifier.weight'
    # Without a variant, the tensor count picks it; the format says which.
    assert list(efficientnet_lite_to_timm(package_weights)) == list(converted)
    assert detect_format(package_weights) == 'efficientnet_' + variant


def test_misordered_tensors_are_refused(variant, package_weights):
    items = list(package_weights.items())
    items[1], items[2] = items[2], items[1]  # _bn0.weight <-> _bn0.bias
    with pytest.raises(CheckpointError, match="'_bn0.bias'.*'bn1.weight'"):
        efficientnet_lite_to_timm(OrderedDict(items), variant)
    count = VARIANTS[variant].num_tensors - 1
    with pytest.raises(CheckpointError, match=f'{count} tensors'):
        efficientnet_lite_to_timm(OrderedDict(items[:-1]), variant)
    with pytest.raises(CheckpointError, match='mapped variants'):
        efficientnet_lite_to_timm(OrderedDict(items[:-1]))


def test_lite0_weights_do_not_load_as_lite2():
    lite0 = load_checkpoint_file(package_checkpoint_path('lite0'))
    with pytest.raises(CheckpointError, match='296 tensors.*386'):
        efficientnet_lite_to_timm(lite0, 'lite2')


# (variant, photo) -> (top-1 class, its probability), measured.
WHOLE_PHOTO = {
    ('lite0', 'chelsea'): (EGYPTIAN_CAT, 0.79),
    ('lite0', 'coffee'): (ESPRESSO, 0.91),
    ('lite2', 'chelsea'): (EGYPTIAN_CAT, 0.73),
    ('lite2', 'coffee'): (ESPRESSO, 0.85),
}


@pytest.mark.parametrize('photo', ['chelsea', 'coffee'])
def test_classifies_whole_photographs(variant, classifier, photo):
    size = VARIANTS[variant].input_size
    classes, probs = top2(classifier,
                          whole_photo(getattr(data, photo)(), size),
                          f'{variant} {photo} {size}px')
    label, prob = WHOLE_PHOTO[variant, photo]
    assert classes[0] == label and classes[0] in (CATS if photo == 'chelsea'
                                                  else (ESPRESSO, ))
    assert probs[0] == pytest.approx(prob, abs=0.02)


def test_classifies_center_crops(variant, classifier):
    size = VARIANTS[variant].input_size
    crop = center_crop(data.chelsea(), RESIZE[variant], size)
    classes, probs = top2(classifier, crop, f'{variant} chelsea crop')
    # Cropped, the cat sits between two tabby classes (Lite0 measured
    # 0.38/0.36, Lite2 0.57/0.14).
    assert set(classes) == {TIGER_CAT, EGYPTIAN_CAT} and sum(probs) > 0.7
    crop = center_crop(data.coffee(), RESIZE[variant], size)
    classes, probs = top2(classifier, crop, f'{variant} coffee crop')
    assert classes[0] == ESPRESSO and probs[0] > 0.85


def test_timm_backbone_holds_the_imagenet_weights(variant, classifier):
    spec = VARIANTS[variant]
    backbone = MODELS.build(
        dict(
            type='TIMMBackbone',
            model_name=spec.timm_name,
            init_cfg=dict(
                type='Pretrained', _scope_='mmdistill',
                checkpoint=spec.imagenet_uri)))
    backbone.init_weights()
    reference = {
        'timm_model.' + k: v
        for k, v in classifier.state_dict().items()
        if not k.startswith('classifier.')
    }
    actual = backbone.state_dict()
    assert sorted(actual) == sorted(reference)
    assert all(torch.equal(actual[k], v) for k, v in reference.items())

    image = whole_photo(data.coffee(), spec.input_size)[None]
    backbone.eval()
    with torch.no_grad():
        features = backbone(image)[0]
        logits = classifier.classifier(features.mean((2, 3)))
        side = -(-spec.input_size // 32)  # TF "same" padding rounds up
        assert features.shape == (1, 1280, side, side)
        assert torch.allclose(logits, classifier(image), atol=1e-4)


def test_scheme_names_its_only_checkpoint(variant):
    uri = VARIANTS[variant].imagenet_uri
    assert uri == f'efficientnet-{variant}://imagenet'
    with pytest.raises(CheckpointError, match=uri):
        load_checkpoint_file(f'efficientnet-{variant}://coco')
