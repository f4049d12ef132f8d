"""Each batched op with fixed per-sample parameters equals torchvision's
functional op applied to each image alone."""
import pytest
import torch
import torchvision.transforms.functional as TF

from mmdistill.models.data_preprocessors import functional as AF

# float32 on [0, 1]: the batched formulas are torchvision's, so only the
# order of float operations may differ (one or two ulps after clamping).
ATOL = 1e-5


@pytest.fixture
def images():
    generator = torch.Generator().manual_seed(0)
    img = torch.rand(4, 3, 24, 20, generator=generator)
    img[0, :, :4] = 0.5  # grey pixels: the hue of r == g == b
    img[1, 0] = img[1, 1]  # r == g ties
    return img


def reference(images, fn, factors):
    return torch.stack([fn(img, float(f)) for img, f in zip(images, factors)])


@pytest.mark.parametrize('ours, theirs, factors', [
    (AF.adjust_brightness, TF.adjust_brightness, [0.6, 1.0, 1.4, 0.0]),
    (AF.adjust_contrast, TF.adjust_contrast, [0.6, 1.0, 1.4, 0.0]),
    (AF.adjust_saturation, TF.adjust_saturation, [0.6, 1.0, 1.4, 0.0]),
    (AF.adjust_hue, TF.adjust_hue, [-0.1, 0.0, 0.07, 0.5]),
])
def test_colour_ops_match_torchvision(images, ours, theirs, factors):
    out = ours(images, torch.tensor(factors))
    assert torch.allclose(out, reference(images, theirs, factors), atol=ATOL)


def test_grayscale_matches_torchvision(images):
    expected = torch.stack(
        [TF.rgb_to_grayscale(img, num_output_channels=3) for img in images])
    out = AF.rgb_to_grayscale(images).expand_as(images)
    assert torch.allclose(out, expected, atol=ATOL)


@pytest.mark.parametrize('kernel_size', [5, 13])
def test_blur_matches_torchvision(images, kernel_size):
    sigmas = [0.1, 0.7, 1.3, 2.0]
    out = AF.gaussian_blur(images, torch.tensor(sigmas), kernel_size)
    expected = torch.stack([
        TF.gaussian_blur(img, [kernel_size] * 2, [s, s])
        for img, s in zip(images, sigmas)
    ])
    assert torch.allclose(out, expected, atol=ATOL)


def test_solarize_matches_torchvision(images):
    assert torch.equal(
        AF.solarize(images, 0.5), TF.solarize(images, 0.5))


def test_hue_matches_torchvision_over_the_whole_circle():
    """Random colours and shifts across [-0.5, 0.5]: every sextant and both
    wraps of the closed-form way back."""
    generator = torch.Generator().manual_seed(1)
    img = torch.rand(64, 3, 6, 6, generator=generator)
    factors = torch.rand(64, generator=generator) - 0.5
    out = AF.adjust_hue(img, factors)
    assert torch.allclose(
        out, reference(img, TF.adjust_hue, factors.tolist()), atol=ATOL)
