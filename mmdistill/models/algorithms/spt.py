"""Semantic-preserving training (SPT) of a teacher."""
from typing import Dict, Iterable, List, Optional, Union

import torch
import torch.nn.functional as F
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.structures import DataSample

from mmdistill.registry import MODELS
from ..utils import DeferredEnqueueMixin, freeze_module
from ..utils.ema import ForeachEMA
from ..utils.fit_neck import check_neck_fits
from ..utils.precise_bn import BN_MODES, recalibrate_batch_norms


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

    The backbone's BN statistics are by default the public ones
    (``teacher_bn=dict(mode='frozen')``). ``mode='recalibrate'``
    re-estimates them once, before training, on ``num_batches`` surgical
    batches (both views, as the backbone sees them in training) and freezes
    them again: the deterministic form of the released code's teacher, whose
    BN stayed in train mode (see :mod:`mmdistill.models.utils.precise_bn`).
    It needs the hook that runs it,
    ``default_hooks.teacher_bn=dict(type='TeacherBNRecalibrationHook')``;
    the buffer ``teacher_bn_batches`` (the number of batches used, 0 until
    done) travels with the checkpoints, so a resume
    does not redo it, and the exported teacher carries the new statistics.

    Args:
        backbone (dict): Config of the public backbone; load its weights with
            ``init_cfg`` (e.g. ``PublicPretrained``).
        neck (dict): Config of the projection head (``MoCoV2Neck``).
        head (dict): Config of the contrastive head (``ContrastiveHead``).
        queue_len (int): Number of negative keys K. Defaults to 2048.
        feat_dim (int): Embedding dimension. Defaults to 128.
        momentum (float): mmengine EMA momentum of the key head: 0.001 means
            the paper's 0.999.
        teacher_bn (dict): BN statistics of the frozen backbone: ``mode``
            ``'frozen'`` (the public statistics, the default) or
            ``'recalibrate'`` with ``num_batches`` (defaults to 200).
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
                 teacher_bn: Optional[dict] = None,
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
        self.teacher_bn = _teacher_bn_options(teacher_bn)
        self._teacher_bn_unchecked = self.teacher_bn['mode'] == 'recalibrate'
        if self._teacher_bn_unchecked:
            self.register_buffer('teacher_bn_batches',
                                 torch.zeros((), dtype=torch.long))

    @property
    def teacher_bn_pending(self) -> bool:
        """Whether the backbone's BN statistics still await recalibration."""
        return (self.teacher_bn['mode'] == 'recalibrate'
                and int(self.teacher_bn_batches) == 0)

    def _check_teacher_bn(self) -> None:
        """Refuse to train on public BN statistics that should have been
        re-estimated. Reads the buffer (one host sync) on the first step
        only: once done, the statistics stay frozen."""
        if self.teacher_bn_pending:
            raise RuntimeError(
                "model.teacher_bn=dict(mode='recalibrate') but the backbone's "
                "BatchNorm statistics were not re-estimated: add "
                "default_hooks.teacher_bn=dict(type="
                "'TeacherBNRecalibrationHook') to the config.")
        self._teacher_bn_unchecked = False

    def recalibrate_teacher_bn(
            self, batches: Iterable[List[torch.Tensor]]) -> int:
        """Re-estimate the backbone's BN statistics on preprocessed batches
        of views (precise BN) and mark it done; returns the batch count."""
        count = recalibrate_batch_norms(
            self.backbone, (torch.cat(views) for views in batches))
        self.backbone.eval()
        self.teacher_bn_batches.fill_(count)
        return count

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
        if self._teacher_bn_unchecked:
            self._check_teacher_bn()
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


def _teacher_bn_options(teacher_bn: Optional[dict]) -> dict:
    """``teacher_bn`` with its defaults, checked."""
    options = {'mode': 'frozen', 'num_batches': 200, **(teacher_bn or {})}
    if options['mode'] not in BN_MODES or set(options) != {
            'mode', 'num_batches'}:
        raise ValueError(
            f"model.teacher_bn must be dict(mode=..., num_batches=...) with "
            f"mode one of {BN_MODES}, got {teacher_bn!r}")
    if options['num_batches'] < 1:
        raise ValueError(f"model.teacher_bn.num_batches must be >= 1, got "
                         f"{options['num_batches']}")
    return options
