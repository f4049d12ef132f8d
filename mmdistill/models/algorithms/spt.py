"""Semantic-preserving training (SPT) of a teacher."""
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.structures import DataSample

from mmdistill.registry import MODELS
from ..utils import DeferredEnqueueMixin, freeze_module
from ..utils.ema import ForeachEMA
from ..utils.fit_neck import check_neck_fits


@MODELS.register_module()
class SPT(DeferredEnqueueMixin, BaseSelfSupervisor):
    """MoCo v2 on a frozen public backbone: only the projection head learns.

    Step 1 of "Distilling Self-Supervisions" (Ding, Liu, Li, MICCAI 2022):
    a backbone trained on a large generic dataset keeps its weights (and so
    its semantics); a new MoCo v2 projection head, trained with the MoCo v2
    contrastive loss on unlabelled surgical frames, adapts its similarity
    structure to surgical data.

    Where we differ from a MoCo v2 with ``requires_grad=False``: the frozen
    backbone exists once. Query and key branches share it, its normalisation
    layers stay in eval mode whatever ``train()`` says, and it runs once per
    step, without autograd, on both views batched. Only the head has a
    momentum copy (``momentum_neck``). With the backbone in eval mode no BN
    statistic is computed over the batch, so MoCo's shuffle-BN is not needed.
    The queue is used without MoCo's per-step clone (see
    :class:`DeferredEnqueueMixin`).

    Args:
        backbone (dict): Config of the public backbone; load its weights with
            ``init_cfg`` (e.g. ``PublicPretrained``).
        neck (dict): Config of the projection head (``MoCoV2Neck``).
        head (dict): Config of the contrastive head (``ContrastiveHead``).
        queue_len (int): Number of negative keys K. Defaults to 2048.
        feat_dim (int): Embedding dimension. Defaults to 128.
        momentum (float): mmengine EMA momentum of the key head: 0.001 means
            the paper's 0.999.
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict or list[dict], optional): Initialisation config.
    """

    queue_names = ('queue', )

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 queue_len: int = 2048,
                 feat_dim: int = 128,
                 momentum: float = 0.001,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        check_neck_fits(self.backbone, self.neck)
        freeze_module(self.backbone)
        self.momentum_neck = ForeachEMA(self.neck, momentum)
        self.queue_len = queue_len
        self.register_buffer(
            'queue', F.normalize(torch.randn(feat_dim, queue_len), dim=0))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))

    def train(self, mode: bool = True) -> 'SPT':
        """Set train mode everywhere except the frozen backbone."""
        super().train(mode)
        self.backbone.eval()
        return self

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """InfoNCE of the query head against the momentum head's keys.

        Args:
            inputs (List[torch.Tensor]): The two augmented views.
            data_samples (List[DataSample]): Unused.

        Returns:
            Dict[str, torch.Tensor]: ``loss``.
        """
        self._enqueue_pending()
        im_q, im_k = inputs
        with torch.no_grad():
            feats = self.backbone(torch.cat([im_q, im_k]))
        feat_q = tuple(f[:len(im_q)] for f in feats)
        feat_k = tuple(f[len(im_q):] for f in feats)
        q = F.normalize(self.neck(feat_q)[0], dim=1)
        with torch.no_grad():
            self.momentum_neck.update_parameters(self.neck)
            k = F.normalize(self.momentum_neck(feat_k)[0], dim=1)

        l_pos = torch.einsum('nc,nc->n', [q, k]).unsqueeze(-1)
        l_neg = torch.einsum('nc,ck->nk', [q, self.queue])
        loss = self.head.loss(l_pos, l_neg)
        self._defer_enqueue(k)
        return dict(loss=loss)
