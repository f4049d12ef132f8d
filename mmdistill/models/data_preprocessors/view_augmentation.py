"""One view's augmentation recipe, drawn per sample and applied batched."""
import math
from typing import Dict, Optional, Sequence, Tuple

import torch

from . import functional as AF

# The colour-jitter operations, indexed as torchvision's ColorJitter orders
# them: brightness, contrast, saturation, hue.
JITTER_OPS = (AF.adjust_brightness, AF.adjust_contrast, AF.adjust_saturation,
              AF.adjust_hue)


def _factor_range(value: float, name: str) -> Tuple[float, float]:
    if value < 0:
        raise ValueError(f'color_jitter.{name} must be >= 0, got {value}')
    return max(0., 1. - value), 1. + value


class ViewAugmentation:
    """The MoCo v2 / SimCLR / BYOL view augmentations of one view, with
    independent parameters per sample.

    What torchvision's (and mmpretrain's) per-image transforms do, in the
    same order: colour jitter with probability ``color_jitter['prob']``
    (brightness, contrast and saturation factors uniform in
    ``[max(0, 1 - x), 1 + x]``, hue uniform in ``[-h, h]``, the four in a
    random order per sample); grayscale with ``grayscale_prob``; Gaussian
    blur with ``blur['prob']`` and sigma uniform in ``blur['sigma']``;
    solarisation with ``solarize['prob']``; horizontal flip with
    ``flip_prob`` (flip commutes with the others, so its place in the
    recipe does not matter).

    Every random draw happens on the host with ``generator``; only the index
    lists of the samples an operation applies to go to the device, so
    nothing waits for the device. Each operation runs once on the batch of
    samples it applies to.

    Args:
        color_jitter (dict, optional): ``brightness``, ``contrast``,
            ``saturation``, ``hue`` and ``prob``. None: no jitter.
        grayscale_prob (float): Probability of a (3-channel) grayscale view.
        blur (dict, optional): ``sigma`` (low, high), ``prob`` and
            ``kernel_size`` (odd; default ``2 * ceil(3 * high) + 1``, which
            holds 99.7% of the widest kernel, as PIL's blur does).
        solarize (dict, optional): ``prob`` and ``threshold`` (0-255 scale,
            default 128).
        flip_prob (float): Probability of a horizontal flip.
    """

    def __init__(self,
                 color_jitter: Optional[dict] = None,
                 grayscale_prob: float = 0.,
                 blur: Optional[dict] = None,
                 solarize: Optional[dict] = None,
                 flip_prob: float = 0.) -> None:
        jitter = dict(color_jitter or dict(prob=0.))
        self.jitter_prob = float(jitter.pop('prob', 1.))
        hue = float(jitter.pop('hue', 0.))
        if not 0 <= hue <= 0.5:
            raise ValueError(
                f'color_jitter.hue must be in [0, 0.5], got {hue}')
        self.jitter_ranges = [
            _factor_range(float(jitter.pop(name, 0.)), name)
            for name in ('brightness', 'contrast', 'saturation')
        ] + [(-hue, hue)]
        if jitter:
            raise ValueError(f'color_jitter: unknown keys {sorted(jitter)}')
        self.grayscale_prob = float(grayscale_prob)
        blur = dict(blur or dict(prob=0., sigma=(0.1, 2.0)))
        self.blur_prob = float(blur.get('prob', 1.))
        self.sigma_range = tuple(float(s) for s in blur['sigma'])
        self.kernel_size = int(
            blur.get('kernel_size') or 2 * math.ceil(3 * self.sigma_range[1])
            + 1)
        if self.kernel_size % 2 == 0:
            raise ValueError(
                f'blur.kernel_size must be odd, got {self.kernel_size}')
        solarize = dict(solarize or dict(prob=0.))
        self.solarize_prob = float(solarize.get('prob', 1.))
        self.solarize_threshold = float(solarize.get('threshold', 128)) / 255
        self.flip_prob = float(flip_prob)
        for name in ('jitter_prob', 'grayscale_prob', 'blur_prob',
                     'solarize_prob', 'flip_prob'):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f'{name} must be in [0, 1], got '
                                 f'{getattr(self, name)}')

    def draw(self, num: int,
             generator: torch.Generator) -> Dict[str, torch.Tensor]:
        """Random parameters of ``num`` samples, on the host.

        Returns:
            dict: ``jitter`` (bool, N), ``order`` (N, 4: each row a
            permutation of the jitter ops), ``factors`` (N, 4: brightness,
            contrast, saturation, hue), ``grayscale``, ``blur``, ``solarize``,
            ``flip`` (bool, N) and ``sigma`` (N).
        """

        def uniform(low: float, high: float, size=(num, )) -> torch.Tensor:
            return low + (high - low) * torch.rand(
                size, generator=generator, dtype=torch.float64)

        def coin(prob: float) -> torch.Tensor:
            return torch.rand(num, generator=generator) < prob

        return dict(
            jitter=coin(self.jitter_prob),
            order=torch.rand(num, 4, generator=generator).argsort(dim=1),
            factors=torch.stack(
                [uniform(lo, hi) for lo, hi in self.jitter_ranges], dim=1),
            grayscale=coin(self.grayscale_prob),
            blur=coin(self.blur_prob),
            sigma=uniform(*self.sigma_range),
            solarize=coin(self.solarize_prob),
            flip=coin(self.flip_prob))

    def __call__(self, img: torch.Tensor,
                 generator: torch.Generator) -> torch.Tensor:
        """Augment float RGB views ``(N, 3, H, W)`` in ``[0, 1]`` (not in
        place) with parameters drawn from ``generator``."""
        params = self.draw(len(img), generator)
        img = img.clone()
        jitter, order, factors = (params['jitter'], params['order'],
                                  params['factors'])
        for position in range(4):
            for op, fn in enumerate(JITTER_OPS):
                chosen = jitter & (order[:, position] == op)
                _apply(img, chosen, fn, factors[:, op])
        _apply(img, params['grayscale'],
               lambda x, _: AF.rgb_to_grayscale(x).expand_as(x))
        _apply(img, params['blur'],
               lambda x, s: AF.gaussian_blur(x, s, self.kernel_size),
               params['sigma'])
        _apply(img, params['solarize'],
               lambda x, _: AF.solarize(x, self.solarize_threshold))
        _apply(img, params['flip'], lambda x, _: x.flip(-1))
        return img

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(jitter_prob={self.jitter_prob}, '
                f'jitter_ranges={self.jitter_ranges}, grayscale_prob='
                f'{self.grayscale_prob}, blur_prob={self.blur_prob}, '
                f'sigma_range={self.sigma_range}, kernel_size='
                f'{self.kernel_size}, solarize_prob={self.solarize_prob}, '
                f'flip_prob={self.flip_prob})')


def _apply(img: torch.Tensor,
           chosen: torch.Tensor,
           fn,
           factors: Optional[Sequence] = None) -> None:
    """``img[chosen] = fn(img[chosen], factors[chosen])`` in place, with the
    host mask turned into a device index list (a boolean device mask would
    make the device report its count to the host)."""
    index = chosen.nonzero().flatten()
    if not len(index):
        return
    factor = None if factors is None else factors[index]
    if factor is not None:
        factor = factor.to(img.device, img.dtype, non_blocking=True)
    if len(index) == len(img):
        img.copy_(fn(img, factor))
        return
    device_index = index.to(img.device, non_blocking=True)
    img.index_copy_(0, device_index, fn(img.index_select(0, device_index),
                                        factor))
