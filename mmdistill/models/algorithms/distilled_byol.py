"""BYOL with distillation from a frozen SPT teacher (SEED-style queue)."""
from typing import Dict, List

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

    Args:
        teacher (dict): :class:`FrozenTeacher` arguments.
        distill_loss (dict): Distillation loss config.
        queue_len (int): Length of the teacher-key queue. Defaults to 4096.
        **kwargs: :class:`BYOL` arguments (``backbone``, ``neck``, ``head``,
            ``base_momentum``, ``data_preprocessor``, ``init_cfg``).
    """

    queue_names = ('teacher_queue', )

    def __init__(self,
                 teacher: dict,
                 distill_loss: dict = dict(type='SimilarityKLLoss'),
                 queue_len: int = 4096,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self._init_distillation(teacher, distill_loss)
        student_dim = kwargs['neck'].get('out_channels')
        if student_dim != self.teacher.embed_dim:
            raise ValueError(
                f'DistilledBYOL compares student projections with teacher '
                f'embeddings: model.neck.out_channels ({student_dim}) must '
                f'equal the teacher embedding dimension '
                f'({self.teacher.embed_dim}); set model.neck.out_channels='
                f'{self.teacher.embed_dim} (and the predictor\'s channels).')
        self.queue_len = queue_len
        self.register_buffer(
            'teacher_queue',
            F.normalize(torch.randn(self.teacher.embed_dim, queue_len), dim=0))
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
            t_query, t_key = self.teacher_embed([img_v1, img_v2])
        loss_ssl = 2. * (
            self.head.loss(proj_online_v1, proj_target_v2) +
            self.head.loss(proj_online_v2, proj_target_v1))

        queue = self.teacher_queue
        loss_distill = 0.
        for z, q_t, k_t in ((proj_online_v1, t_query[0], t_key[1]),
                            (proj_online_v2, t_query[1], t_key[0])):
            z = F.normalize(z, dim=1)
            s = torch.cat([(z * k_t).sum(1, keepdim=True), z @ queue], dim=1)
            t = torch.cat([(q_t * k_t).sum(1, keepdim=True), q_t @ queue],
                          dim=1)
            loss_distill = loss_distill + 0.5 * self.distill_loss(s, t)
        self._defer_enqueue(t_key[1])
        return dict(loss_ssl=loss_ssl, loss_distill=loss_distill)
