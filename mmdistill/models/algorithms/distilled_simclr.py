"""SimCLR with distillation from frozen SPT teachers."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.dist import all_gather
from mmpretrain.models.selfsup import SimCLR
from mmpretrain.models.selfsup.simclr import GatherLayer
from mmpretrain.structures import DataSample

from mmdistill.registry import MODELS
from .teacher import TeacherDistillMixin


@MODELS.register_module()
class DistilledSimCLR(TeacherDistillMixin, SimCLR):
    """SimCLR student plus KL distillation over in-batch candidates.

    SimCLR has no queue: each of the ``2N`` embedded views scores the other
    ``2N - 1`` views of the (all-gathered) batch, its positive first. The
    frozen teacher embeds the same views with its projection head and scores
    the same ``2N - 1`` candidates in the same order, so the KL compares like
    with like. The student part is exactly mmpretrain's :class:`SimCLR`.
    With several teachers (not in the paper) the term is
    ``sum_i w_i * KL(t_i || s)``; each teacher scores the candidates in its
    own embedding space, so their dimensions may differ.

    Args:
        teacher (dict, optional): :class:`FrozenTeacher` arguments of the one
            teacher (weight 1).
        teachers (Sequence[dict], optional): Several teachers, each
            :class:`FrozenTeacher` arguments plus ``weight`` (default 1).
            Give ``teacher`` or ``teachers``, not both.
        distill_loss (dict): Distillation loss config; its temperatures should
            match the SimCLR head's (0.1 in mmpretrain's configs).
        **kwargs: :class:`SimCLR` arguments (``backbone``, ``neck``, ``head``,
            ``data_preprocessor``, ``init_cfg``).
    """

    def __init__(self,
                 teacher: Optional[dict] = None,
                 teachers: Optional[Sequence[dict]] = None,
                 distill_loss: dict = dict(
                     type='SimilarityKLLoss',
                     student_temperature=0.1,
                     teacher_temperature=0.1),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self._init_distillation(teacher, teachers, distill_loss)

    @staticmethod
    def _candidate_similarities(z: torch.Tensor,
                                masks: Tuple[torch.Tensor, ...]
                                ) -> torch.Tensor:
        """``(2N, 2N-1)`` similarities of ``(2N, D)`` embeddings (views of an
        image adjacent), positive first, as mmpretrain's SimCLR orders them.

        ``masks`` is ``SimCLR._create_buffer(N, device)``, built once per
        step for the student and the teacher.
        """
        mask, pos_idx, neg_mask = masks
        s = z @ z.t()
        s = torch.masked_select(s, mask == 1).reshape(s.size(0), -1)
        positive = s[pos_idx].unsqueeze(1)
        negative = torch.masked_select(s, neg_mask == 1).reshape(s.size(0), -1)
        return torch.cat([positive, negative], dim=1)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """SimCLR's NT-Xent (``loss_ssl``) and the distillation term.

        Args:
            inputs (List[torch.Tensor]): The two augmented views.
            data_samples (List[DataSample]): Unused.

        Returns:
            Dict[str, torch.Tensor]: ``loss_ssl`` and ``loss_distill``.
        """
        x = torch.stack(inputs, 1).flatten(0, 1)
        z = self.neck(self.backbone(x))[0]
        z = z / (torch.norm(z, p=2, dim=1, keepdim=True) + 1e-10)
        z = torch.cat(GatherLayer.apply(z), dim=0)
        masks = self._create_buffer(z.size(0) // 2, z.device)
        s = self._candidate_similarities(z, masks)
        with torch.no_grad():
            t_sims = [
                self._candidate_similarities(
                    torch.cat(all_gather(t_query[0]), dim=0), masks)
                for t_query, _ in self.teacher_embed([x], key_views=())
            ]
        return dict(
            loss_ssl=self.head.loss(s[:, :1], s[:, 1:]),
            loss_distill=self.distill([(s, t) for t in t_sims]))
