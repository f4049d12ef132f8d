"""Batched image operations with one parameter per sample.

Each takes float RGB images ``(N, 3, H, W)`` in ``[0, 1]`` and a factor of
shape ``(N,)`` and follows torchvision's functional op on float tensors
(``adjust_brightness``, ``adjust_contrast``, ``adjust_saturation``,
``adjust_hue``, ``rgb_to_grayscale``, ``gaussian_blur``, ``solarize``)
formula for formula, so one sample with one factor gives torchvision's result.
"""
import torch
import torch.nn.functional as F

# ITU-R 601-2 luma, torchvision's rgb_to_grayscale weights.
LUMA = (0.2989, 0.587, 0.114)


def _per_sample(factor: torch.Tensor) -> torch.Tensor:
    return factor.reshape(-1, 1, 1, 1)


def _blend(img: torch.Tensor, other: torch.Tensor,
           ratio: torch.Tensor) -> torch.Tensor:
    ratio = _per_sample(ratio)
    return (ratio * img + (1.0 - ratio) * other).clamp_(0.0, 1.0)


def rgb_to_grayscale(img: torch.Tensor) -> torch.Tensor:
    """Luma ``(N, 1, H, W)`` of RGB images."""
    r, g, b = img.unbind(dim=-3)
    return (LUMA[0] * r + LUMA[1] * g + LUMA[2] * b).unsqueeze(-3)


def adjust_brightness(img: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    return (_per_sample(factor) * img).clamp_(0.0, 1.0)


def adjust_contrast(img: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    mean = rgb_to_grayscale(img).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, factor)


def adjust_saturation(img: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    return _blend(img, rgb_to_grayscale(img), factor)


def adjust_hue(img: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Rotate the hue by ``factor`` turns (in ``[-0.5, 0.5]``).

    torchvision's ``adjust_hue``: to HSV, ``h = (h + factor) % 1``, back to
    RGB. The hue's sextant is ``(g - b) / c``, ``2 + (b - r) / c`` or ``4 +
    (r - g) / c`` by the channel holding the maximum (torchvision's
    ``_rgb2hsv`` with its three quotients cancelled into one), ``c`` the
    chroma ``max - min``. The way back gives each channel ``v - c *
    clamp(d - 1, 0, 1)``, ``d`` the distance of ``6 h`` from the channel's
    own hue (0, 2, 4 for R, G, B) around the circle of six; that is
    torchvision's six-sector selection in closed form. One reciprocal
    replaces the divisions, and no elementwise selection is left on the
    way back (on the CPU a tensor division, ``fmod`` or ``where`` costs
    many multiplications).
    """
    r, g, b = img.unbind(dim=-3)
    maxc = img.amax(dim=-3)
    chroma = maxc - img.amin(dim=-3)
    # Where c == 0 every numerator is 0 as well, so any finite inverse
    # gives torchvision's hue of 0.
    inverse = chroma.clamp_min(torch.finfo(chroma.dtype).tiny).reciprocal_()
    sextant = torch.where(
        maxc == r, g - b,
        torch.where(maxc == g, (b - r).add_(chroma, alpha=2.0),
                    (r - g).add_(chroma, alpha=4.0))).mul_(inverse)
    # Six times (hue + 1 + shift) in turns, in [2, 14), wrapped into [0, 6).
    h6 = sextant.add_(6.0 + 6.0 * factor.reshape(-1, 1, 1))
    h6 = h6.sub_((h6 * (1.0 / 6.0)).floor_().mul_(6.0))
    centre = torch.tensor([0., 2., 4.], device=img.device,
                          dtype=img.dtype).reshape(1, 3, 1, 1)
    distance = (h6.unsqueeze(-3) - centre).abs_()
    weight = torch.minimum(distance, 6.0 - distance).sub_(1.0).clamp_(0.0, 1.0)
    return maxc.unsqueeze(-3) - chroma.unsqueeze(-3) * weight


def gaussian_blur(img: torch.Tensor, sigma: torch.Tensor,
                  kernel_size: int) -> torch.Tensor:
    """Blur each sample with its own ``sigma``: torchvision's
    ``gaussian_blur`` (reflect padding, square kernel) as two 1-D passes,
    one grouped convolution each."""
    n, c, h, w = img.shape
    half = (kernel_size - 1) * 0.5
    x = torch.linspace(-half, half, kernel_size, device=img.device,
                       dtype=img.dtype)
    kernel = torch.exp(-0.5 * (x / sigma.reshape(-1, 1).to(img.dtype))**2)
    kernel = (kernel / kernel.sum(dim=1, keepdim=True)).repeat_interleave(
        c, dim=0)
    pad = kernel_size // 2
    out = F.pad(img.reshape(1, n * c, h, w), [pad] * 4, mode='reflect')
    out = F.conv2d(out, kernel.reshape(n * c, 1, 1, kernel_size),
                   groups=n * c)
    out = F.conv2d(out, kernel.reshape(n * c, 1, kernel_size, 1),
                   groups=n * c)
    return out.reshape(n, c, h, w)


def solarize(img: torch.Tensor, threshold: float) -> torch.Tensor:
    return torch.where(img >= threshold, 1.0 - img, img)
