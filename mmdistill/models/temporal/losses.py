"""Truncated MSE smoothing loss of MS-TCN."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmdistill.registry import MODELS, VIDEO_MODELS


@MODELS.register_module()
@VIDEO_MODELS.register_module()
class TruncatedMSELoss(nn.Module):
    """Penalise changes of log-probabilities between consecutive frames.

    For frames ``t`` and ``t - 1`` and every class ``c`` (MS-TCN)::

        delta = |log p_t[c] - log p_{t-1}[c]|,  with p_{t-1} detached
        loss  = loss_weight * mean over (t, c) of min(delta, tau) ** 2

    MS-TCN clamps the squared difference at 16 (``tau = 4``) with weight
    0.15; these are the defaults. The released code of "distilling
    self-supervisions" also clamps at 16 but with weight 1
    (``tau=4., loss_weight=1.``).

    Where we differ: MS-TCN multiplies by the mask but averages over every
    (frame, class) of the padded batch, so padding shrinks the loss. We
    average over the pairs whose two frames are both real, so a padded video
    has the same loss as the video alone. For one unpadded video the two
    agree.

    Args:
        tau: Truncation threshold on the absolute log-probability change.
        loss_weight: Weight of the loss.
    """

    def __init__(self, tau: float = 4., loss_weight: float = 0.15) -> None:
        super().__init__()
        if tau <= 0:
            raise ValueError(f'TruncatedMSELoss needs tau > 0, got {tau}')
        self.tau = tau
        self.loss_weight = loss_weight

    def forward(self,
                logits: torch.Tensor,
                mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Smoothing loss of per-frame logits.

        Args:
            logits: Logits [B, C, T].
            mask: Bool [B, T], true on real frames; None means all are real.

        Returns:
            Scalar loss; zero when no pair of consecutive real frames exists.
        """
        log_probs = F.log_softmax(logits, dim=1)
        squared = (log_probs[:, :, 1:] - log_probs.detach()[:, :, :-1])**2
        per_pair = squared.clamp(max=self.tau**2).mean(dim=1)
        if mask is None:
            mask = torch.ones_like(logits[:, 0], dtype=torch.bool)
        mask = mask.bool()
        pairs = (mask[:, 1:] & mask[:, :-1]).to(per_pair.dtype)
        return (self.loss_weight * (per_pair * pairs).sum() /
                pairs.sum().clamp(min=1))
