"""MoCo v2 with distillation from frozen SPT teachers (the paper's DSL)."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmpretrain.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp
from mmpretrain.structures import DataSample
from torch import nn

from mmdistill.registry import MODELS
from ..utils import DeferredEnqueueMixin
from .baselines import ForeachEMAMoCo
from .teacher import TeacherDistillMixin


@MODELS.register_module()
class DistilledMoCo(TeacherDistillMixin, DeferredEnqueueMixin,
                    ForeachEMAMoCo):
    """MoCo v2 student plus KL distillation of the teacher's similarities.

    Step 2 of "Distilling Self-Supervisions" (Ding, Liu, Li, MICCAI 2022).
    For the same two views, the student scores its key against its queue,
    ``s = [q.k, q.Q]`` (``1 + K`` columns), and the frozen teacher scores its
    own, ``t = [q_t.k_t, q_t.Q_t]``. The loss is
    ``InfoNCE(s) + w * KL(softmax(t / tau) || softmax(s / tau))``.

    The teacher queue ``Q_t`` is aligned column by column with the student's
    ``Q``: both hold keys of the same images at the same positions, written
    by one gather and one pointer (the released code let the teacher keep its
    own queue and pointer, so the KL compared unrelated keys). Everything
    else of the student is mmpretrain's :class:`MoCo`, so with ``w = 0`` the
    loss and gradients are exactly MoCo's, and a student checkpoint loads
    into plain mmpretrain (``teacher_queue`` is an extra key). Where we
    differ in cost: the queues are used without MoCo's per-step clone (the
    keys are written at the start of the next step, see
    :class:`DeferredEnqueueMixin`), and the teacher embeds only what the loss
    uses, the query of view 0 and the key of view 1.

    Weights: the released code effectively optimises ``2 * InfoNCE + 5 * KL``;
    set ``head.loss.loss_weight=2.`` and ``distill_loss.loss_weight=5.`` for
    that (the ``dsl/`` configs do). The class defaults are ``1`` and ``1``.

    Several teachers (``teachers=[dict(..., weight=w_i), ...]``, not in the
    paper): each keeps its own queue ``Q_t_i`` (``teacher_queue``,
    ``teacher_queue_1``, ...), written with the student's by the same gather
    and pointer, and the KL term becomes ``sum_i w_i * KL(t_i || s)``
    against the one student distribution ``s``. Every KL is over
    similarities, so the teachers' embedding dimensions may differ.

    Args:
        backbone (dict): Student backbone config (random init in the paper).
        neck (dict): Student projection head config.
        head (dict): Contrastive head config.
        teacher (dict, optional): :class:`FrozenTeacher` arguments of the one
            teacher (weight 1).
        teachers (Sequence[dict], optional): Several teachers, each
            :class:`FrozenTeacher` arguments plus ``weight`` (default 1).
            Give ``teacher`` or ``teachers``, not both.
        distill_loss (dict): Distillation loss config
            (``SimilarityKLLoss``).
        queue_len (int): K, shared by all queues. Defaults to 65536.
        feat_dim (int): Student embedding dimension. Defaults to 128.
        momentum (float): Key-encoder EMA momentum (0.001 = paper's 0.999).
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict or list[dict], optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 teacher: Optional[dict] = None,
                 teachers: Optional[Sequence[dict]] = None,
                 distill_loss: dict = dict(type='SimilarityKLLoss'),
                 queue_len: int = 65536,
                 feat_dim: int = 128,
                 momentum: float = 0.001,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            queue_len=queue_len,
            feat_dim=feat_dim,
            momentum=momentum,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self._init_distillation(teacher, teachers, distill_loss)
        self.queue_names = ('queue', ) + self._register_teacher_queues(
            queue_len)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """MoCo's InfoNCE (``loss_ssl``) and the distillation term.

        Args:
            inputs (List[torch.Tensor]): The two augmented views.
            data_samples (List[DataSample]): Unused.

        Returns:
            Dict[str, torch.Tensor]: ``loss_ssl`` and ``loss_distill``.
        """
        self._enqueue_pending()
        im_q, im_k = inputs
        q = F.normalize(self.neck(self.backbone(im_q))[0], dim=1)
        with torch.no_grad():
            self.encoder_k.update_parameters(
                nn.Sequential(self.backbone, self.neck))
            im_k_shuffled, idx_unshuffle = batch_shuffle_ddp(im_k)
            k = F.normalize(self.encoder_k(im_k_shuffled)[0], dim=1)
            k = batch_unshuffle_ddp(k, idx_unshuffle)

            t_keys, t_sims = [], []
            for (t_query, t_key), name in zip(
                    self.teacher_embed([im_q, im_k], query_views=(0, ),
                                       key_views=(1, )),
                    self.queue_names[1:]):
                q_t, k_t = t_query[0], t_key[0]
                t_keys.append(k_t)
                t_sims.append(torch.cat([(q_t * k_t).sum(1, keepdim=True),
                                         q_t @ getattr(self, name)], dim=1))

        l_pos = torch.einsum('nc,nc->n', [q, k]).unsqueeze(-1)
        l_neg = torch.einsum('nc,ck->nk', [q, self.queue])
        s_sim = torch.cat([l_pos, l_neg], dim=1)
        losses = dict(
            loss_ssl=self.head.loss(l_pos, l_neg),
            loss_distill=self.distill([(s_sim, t) for t in t_sims]))
        self._defer_enqueue(k, *t_keys)
        return losses
