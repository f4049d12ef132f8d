"""Self-supervised view augmentation on the model's device."""
from typing import List, Optional, Sequence, Union

import torch
from mmengine.dist import get_rank
from mmpretrain.models.utils import SelfSupDataPreprocessor

from mmdistill.registry import MODELS
from .view_augmentation import ViewAugmentation

# Mixes the rank into the seed (a large prime keeps rank streams apart).
_RANK_STRIDE = 1_000_003


@MODELS.register_module()
class SSLViewAugPreprocessor(SelfSupDataPreprocessor):
    """mmpretrain's ``SelfSupDataPreprocessor`` that also applies the colour,
    blur, solarisation and flip augmentations of the views, batched, where
    the model runs.

    The dataloader only decodes, crops and resizes (``LoadFrame``,
    ``RandomResizedCrop`` with the cv2 backend, ``PackInputs``) and delivers
    ``uint8`` views. Here each view ``i`` is converted to RGB floats in
    ``[0, 1]``, augmented by ``views[i]`` (a :class:`ViewAugmentation`
    recipe, parameters independent per sample), and normalised with
    ``mean``/``std`` (0-255 scale) exactly as ``SelfSupDataPreprocessor``
    normalises, so models and a frozen teacher see the same input scale.

    The random parameters come from a generator of this module seeded with
    ``seed`` or, by default, with the process's torch seed (which the
    Runner's ``randomness.seed`` sets) and the rank, so ranks draw
    differently and a seeded run repeats.

    Args:
        views (dict or list[dict]): :class:`ViewAugmentation` arguments per
            view; one dict is used for every view.
        mean (Sequence[float]): Normalisation mean (0-255 scale, RGB).
        std (Sequence[float]): Normalisation std (0-255 scale, RGB).
        to_rgb (bool): Flip BGR inputs (OpenCV's order) to RGB first.
        seed (int, optional): Base seed of the augmentation generator.
        non_blocking (bool): Copy batches to the device without blocking
            (effective with ``pin_memory=True`` in the dataloader).
        **kwargs: Other ``SelfSupDataPreprocessor`` arguments.
    """

    def __init__(self,
                 views: Union[dict, List[dict]],
                 mean: Sequence[float],
                 std: Sequence[float],
                 to_rgb: bool = True,
                 seed: Optional[int] = None,
                 non_blocking: bool = True,
                 **kwargs) -> None:
        super().__init__(
            mean=mean,
            std=std,
            to_rgb=to_rgb,
            non_blocking=non_blocking,
            **kwargs)
        if isinstance(views, dict):
            views = [views]
        self.views = [ViewAugmentation(**view) for view in views]
        base = torch.initial_seed() if seed is None else seed
        self.generator = torch.Generator().manual_seed(
            (base + _RANK_STRIDE * get_rank()) % 2**63)

    def forward(self, data: dict, training: bool = False) -> dict:
        """Move a batch of ``uint8`` views to the device; augment them when
        ``training``; normalise.

        Args:
            data (dict): ``inputs`` (a list of ``(N, 3, H, W)`` views) and
                ``data_samples`` from ``default_collate``.
            training (bool): Augment (the train step) or only normalise.

        Returns:
            dict: ``inputs`` (list of float views) and ``data_samples``.
        """
        data = self.cast_data(data)
        views = data['inputs']
        if isinstance(views, torch.Tensor):
            views = [views]
        if training and len(self.views) not in (1, len(views)):
            raise ValueError(
                f'SSLViewAugPreprocessor has {len(self.views)} view recipes '
                f'but the batch has {len(views)} views; give one recipe or '
                f'one per view (data_preprocessor.views)')
        out = []
        for i, view in enumerate(views):
            if self._channel_conversion:
                view = view[:, [2, 1, 0], ...]
            view = view.float()
            if training:
                recipe = self.views[i if len(self.views) > 1 else 0]
                view = recipe(view / 255, self.generator) * 255
            out.append((view - self.mean) / self.std)
        return dict(inputs=out, data_samples=data.get('data_samples'))
