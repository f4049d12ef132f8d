"""BYOL with distillation from frozen SPT teachers (SEED-style queue)."""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample
from torch import nn

from mmdistill.registry import MODELS
from ..utils import DeferredEnqueueMixin
from .baselines import ForeachEMABYOL
from .teacher import TeacherDistillMixin


@MODELS.register_module()
class DistilledBYOL(TeacherDistillMixin, DeferredEnqueueMixin,
                    ForeachEMABYOL):
    """BYOL student plus KL distillation against a queue of teacher keys.

    BYOL has no negatives of its own, so there is no student similarity
    distribution to distil into. As SEED (Fang et al., ICLR 2021) does, we
    build one from the teacher: a queue ``Q_t`` of teacher key embeddings of
    past images. For the view pair ``(a, b)`` the student projection ``z_a``
    (the online neck's output, before BYOL's predictor) scores
    ``[z_a.k_t(b), z_a.Q_t]`` and the teacher scores
    ``[q_t(a).k_t(b), q_t(a).Q_t]``; the KL is averaged over both view
    orders and ``k_t`` of the second view is enqueued (at the start of the
    next step, see :class:`DeferredEnqueueMixin`). Because the student
    is compared with teacher embeddings, its neck's ``out_channels`` must
    equal the teacher's embedding dimension (checked at construction).

    Several teachers (``teachers=[dict(..., weight=w_i), ...]``, not in
    SEED): each keeps its own queue (``teacher_queue``, ``teacher_queue_1``,
    ...) under the one pointer, the student projection scores each teacher's
    keys, and the term is ``sum_i w_i * KL_i``. Every teacher must then embed
    in the student's ``out_channels`` dimensions: we do not add a trainable
    projection per teacher, which would put teacher-specific parameters
    into the student (and its checkpoint) and let that projection, rather
    than the student's own space, absorb the mismatch. A teacher of another
    dimension is refused at construction, naming its index.

    Args:
        teacher (dict, optional): :class:`FrozenTeacher` arguments of the one
            teacher (weight 1).
        teachers (Sequence[dict], optional): Several teachers, each
            :class:`FrozenTeacher` arguments plus ``weight`` (default 1).
            Give ``teacher`` or ``teachers``, not both.
        distill_loss (dict): Distillation loss config.
        queue_len (int): Length of the teacher-key queue. Defaults to 4096.
        **kwargs: :class:`BYOL` arguments (``backbone``, ``neck``, ``head``,
            ``base_momentum``, ``data_preprocessor``, ``init_cfg``).
    """

    def __init__(self,
                 teacher: Optional[dict] = None,
                 teachers: Optional[Sequence[dict]] = None,
                 distill_loss: dict = dict(type='SimilarityKLLoss'),
                 queue_len: int = 4096,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self._init_distillation(teacher, teachers, distill_loss)
        student_dim = kwargs['neck'].get('out_channels')
        for index, module in enumerate(self.teachers):
            if student_dim == module.embed_dim:
                continue
            name = 'model.teacher' if teacher is not None else \
                f'model.teachers[{index}]'
            raise ValueError(
                f'DistilledBYOL compares student projections with teacher '
                f'embeddings: model.neck.out_channels ({student_dim}) must '
                f'equal the embedding dimension of {name} '
                f'({module.embed_dim}); set model.neck.out_channels='
                f'{module.embed_dim} (and the predictor\'s channels), or give '
                f'{name} a neck with out_channels={student_dim}.')
        self.queue_len = queue_len
        self.queue_names = self._register_teacher_queues(queue_len)
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """BYOL's loss (``loss_ssl``) and the distillation term.

        Args:
            inputs (List[torch.Tensor]): The two augmented views.
            data_samples (List[DataSample]): Unused.

        Returns:
            Dict[str, torch.Tensor]: ``loss_ssl`` and ``loss_distill``.
        """
        self._enqueue_pending()
        img_v1, img_v2 = inputs
        proj_online_v1 = self.neck(self.backbone(img_v1))[0]
        proj_online_v2 = self.neck(self.backbone(img_v2))[0]
        with torch.no_grad():
            self.target_net.update_parameters(
                nn.Sequential(self.backbone, self.neck))
            proj_target_v1 = self.target_net(img_v1)[0]
            proj_target_v2 = self.target_net(img_v2)[0]
            t_embeds = self.teacher_embed([img_v1, img_v2])
        loss_ssl = 2. * (
            self.head.loss(proj_online_v1, proj_target_v2) +
            self.head.loss(proj_online_v2, proj_target_v1))

        loss_distill = 0.
        for v, z in enumerate((proj_online_v1, proj_online_v2)):
            z = F.normalize(z, dim=1)
            pairs = []
            for (t_query, t_key), name in zip(t_embeds, self.queue_names):
                q_t, k_t, queue = t_query[v], t_key[1 - v], getattr(self, name)
                pairs.append(
                    (torch.cat([(z * k_t).sum(1, keepdim=True), z @ queue],
                               dim=1),
                     torch.cat([(q_t * k_t).sum(1, keepdim=True), q_t @ queue],
                               dim=1)))
            loss_distill = loss_distill + 0.5 * self.distill(pairs)
        self._defer_enqueue(*(t_key[1] for _, t_key in t_embeds))
        return dict(loss_ssl=loss_ssl, loss_distill=loss_distill)
