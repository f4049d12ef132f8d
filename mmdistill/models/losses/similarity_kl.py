"""KL divergence between teacher and student similarity distributions."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmdistill.registry import MODELS


@MODELS.register_module()
class SimilarityKLLoss(nn.Module):
    """``KL(softmax(t / tau_t) || softmax(s / tau_s))``, batch mean.

    The distillation term of "Distilling Self-Supervisions" (DSL, MICCAI
    2022): each row holds one anchor's similarities to the same candidates
    (positive first, then the negatives) as scored by the teacher and by the
    student; the student matches the teacher's distribution. Gradients flow
    to the student only. Unlike Hinton et al. we do not multiply by
    ``tau**2``, as in the paper's code.

    Args:
        student_temperature (float): ``tau_s``. Defaults to 0.2.
        teacher_temperature (float): ``tau_t``. Defaults to 0.2.
        loss_weight (float): Weight ``w`` of the term (the paper: 5).
    """

    def __init__(self,
                 student_temperature: float = 0.2,
                 teacher_temperature: float = 0.2,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.student_temperature = student_temperature
        self.teacher_temperature = teacher_temperature
        self.loss_weight = loss_weight

    def forward(self, student_sim: torch.Tensor,
                teacher_sim: torch.Tensor) -> torch.Tensor:
        """Compute the weighted KL.

        Args:
            student_sim (torch.Tensor): ``(N, M)`` student similarities
                (cosines, before the temperature).
            teacher_sim (torch.Tensor): ``(N, M)`` teacher similarities to the
                same candidates in the same columns.

        Returns:
            torch.Tensor: scalar loss.
        """
        if student_sim.shape != teacher_sim.shape:
            raise ValueError(
                f'Student and teacher similarities must score the same '
                f'candidates: got shapes {tuple(student_sim.shape)} and '
                f'{tuple(teacher_sim.shape)}')
        log_p_s = F.log_softmax(student_sim.float() / self.student_temperature,
                                dim=1)
        log_p_t = F.log_softmax(
            teacher_sim.detach().float() / self.teacher_temperature, dim=1)
        kl = F.kl_div(log_p_s, log_p_t, log_target=True, reduction='batchmean')
        return self.loss_weight * kl
