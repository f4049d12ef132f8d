"""The frozen teacher shared by every distilled algorithm."""
import copy
import re
from typing import Collection, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import broadcast
from mmengine.logging import MMLogger
from mmengine.model import BaseModule

from mmdistill.registry import MODELS
from mmdistill.utils.checkpoint import get_state_dict, load_checkpoint_file
from ..pretrained.fit import load_exact
from ..pretrained.teacher_export import EMA_STEPS, TEACHER_PARTS
from ..utils import fold_batch_norms, freeze_module
from ..utils.embedding import (TOKEN_EMBEDDINGS, num_extra_tokens,
                               pool_embedding, probe_inputs)
from ..utils.fit_neck import check_neck_fits

# Where the momentum (key) head of a teacher lives in the checkpoints we
# accept: an SPT training checkpoint (EMA-wrapped) and an SPT export. Only
# SPT's momentum head works on the query backbone's features. mmpretrain's
# MoCo keeps its key head in ``encoder_k = EMA(Sequential(backbone, neck))``,
# on top of its own key backbone, so it is not mapped: such a checkpoint
# needs ``key_head='query'``.
_KEY_NECK_PREFIXES = (
    (re.compile(r'^momentum_neck\.module\.'), 'momentum_neck.'),
)


def teacher_state_dict(state_dict: dict,
                       parts: Collection[str] = TEACHER_PARTS) -> dict:
    """Select and rename the weights a :class:`FrozenTeacher` needs.

    Maps the momentum head of SPT training checkpoints and mmpretrain MoCo
    checkpoints to ``momentum_neck.*`` and keeps the ``parts`` (by default
    those of an exported teacher, see
    :mod:`mmdistill.models.pretrained.teacher_export`); everything else
    (queues, classifier heads, the student's momentum encoder, the step
    counter of SPT's EMA) is dropped.
    """
    out = {}
    for key, value in state_dict.items():
        if key == EMA_STEPS:
            continue
        for pattern, repl in _KEY_NECK_PREFIXES:
            key = pattern.sub(repl, key)
        if key.split('.', 1)[0] in parts:
            out[key] = value
    return out


class FrozenTeacher(BaseModule):
    """A frozen SPT teacher: backbone, query head and optional key head.

    The teacher is built from configs plus a checkpoint -- an SPT export
    (``tools/model_converters/export_teacher.py``), an SPT training
    checkpoint, an mmpretrain MoCo checkpoint, or (without ``neck``) any
    mmpretrain checkpoint with a ``backbone.`` -- and frozen: no parameter
    requires grad, every module stays in eval mode whatever ``train()`` is
    asked, and :meth:`forward` runs without autograd. Both views go through
    the backbone in one batched call.

    The distilled algorithms keep the teacher *outside* their module tree
    (see :class:`TeacherDistillMixin`), so it is never in the optimizer, never
    wrapped by DDP and never saved into student checkpoints.

    Where we differ from the released code: there the teacher was left in
    train mode (its BN statistics drifted) and brought its own key queue; here
    it is always in eval mode and the algorithm owns the aligned queue.

    Args:
        backbone (dict): Config of the teacher backbone (any mmpretrain
            backbone, independent of the student's).
        neck (dict, optional): Config of the projection head trained by SPT
            (e.g. ``MoCoV2Neck``). Without a neck the embedding is taken from
            the last backbone output by its kind
            (:func:`~mmdistill.models.utils.embedding.pool_embedding`): a
            feature map is average-pooled, a vector (ViT ``out_type``
            ``'cls_token'``/``'avg_featmap'``) used as it is, and tokens
            (``out_type='raw'``, timm ViTs) give what ``embed`` says.
        checkpoint (str, optional): Teacher weights. If None, the backbone's
            own ``init_cfg`` (e.g. a public checkpoint) initialises it.
        key_head (str): ``'momentum'`` to embed keys with the SPT momentum
            head (the checkpoint must hold ``momentum_neck`` weights) or
            ``'query'`` to use the projection head for keys too. An
            mmpretrain MoCo checkpoint needs ``'query'``: its key head
            (``encoder_k.module.1``) was trained on its key backbone
            (``encoder_k.module.0``), not on the query backbone's features,
            and running that second backbone would double the teacher's cost
            (one batched teacher forward per step). Its query encoder is what
            MoCo releases as the trained model; the momentum head is exact
            only for SPT, whose backbone is shared.
        mean (Sequence[float], optional): Input normalisation the teacher was
            trained with (0-255 scale). None means the student's.
        std (Sequence[float], optional): As ``mean``.
        embed (str): Without a neck, the embedding of a token output:
            ``'cls_token'`` (the class token, as DINO and DeiT classify) or
            ``'patch_mean'`` (the mean of the patch tokens). Defaults to
            ``'cls_token'``.
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 checkpoint: Optional[str] = None,
                 key_head: str = 'momentum',
                 mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None,
                 embed: str = 'cls_token') -> None:
        super().__init__()
        if key_head not in ('momentum', 'query'):
            raise ValueError(f"teacher.key_head must be 'momentum' or "
                             f"'query', got {key_head!r}")
        if key_head == 'momentum' and neck is None:
            key_head = 'query'
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.momentum_neck = (
            copy.deepcopy(self.neck) if key_head == 'momentum' else None)
        self.checkpoint = checkpoint
        self.mean = mean
        self.std = std
        if embed not in TOKEN_EMBEDDINGS:
            raise ValueError(f'teacher.embed must be one of '
                             f'{TOKEN_EMBEDDINGS}, got {embed!r}')
        self.embed = embed
        self.register_buffer('input_scale', torch.ones(1, 3, 1, 1), False)
        self.register_buffer('input_shift', torch.zeros(1, 3, 1, 1), False)

        if checkpoint is None:
            self.init_weights()
        else:
            self._load(checkpoint)
        # The Runner must not re-initialise the teacher.
        self._is_init = True
        freeze_module(self)
        self._optimize_for_inference()
        self.embed_dim = self._probe_embed_dim()

    def _load(self, checkpoint: str) -> None:
        """Load exactly the teacher's parts from ``checkpoint``.

        Parts the teacher was not configured with (a neck, a momentum head)
        are not taken; within its parts every tensor must be filled and none
        left over, so a deeper checkpoint is refused, not truncated.
        """
        own = self.state_dict()
        parts = {key.split('.', 1)[0] for key in own}
        state = teacher_state_dict(
            get_state_dict(load_checkpoint_file(checkpoint)), parts)
        fix = ('It must be an SPT export/checkpoint or an mmpretrain '
               'checkpoint whose backbone (and neck) match teacher.backbone '
               '(and teacher.neck).')
        if 'momentum_neck' in parts and not any(
                k.startswith('momentum_neck.') for k in state):
            fix += (" The checkpoint has no momentum head: set "
                    "teacher.key_head='query'.")
        load_exact(self, state, f'Teacher checkpoint {checkpoint!r}', fix=fix)
        MMLogger.get_current_instance().info(
            f'Loaded frozen teacher ({len(own)} tensors) from {checkpoint}')

    @torch.no_grad()
    def _optimize_for_inference(self) -> None:
        """Fold BatchNorms into convolutions and go channels-last.

        The teacher never trains, so both are exact rewrites that only save
        time (about a tenth of the teacher's forward on CPU). The fold is
        checked on a probe batch at the backbone's own input size and
        skipped, with a warning, for a backbone whose registration order does
        not match its forward. The probe first checks that the neck fits.
        """
        check_neck_fits(self.backbone, self.neck, 'model.teacher')
        probe = probe_inputs(self.backbone, 4)
        reference = self(probe, num_views=1)
        original = self.backbone
        self.backbone = freeze_module(
            fold_batch_norms(copy.deepcopy(original)))
        self.to(memory_format=torch.channels_last)
        folded = self(probe, num_views=1)
        if not all(
                torch.allclose(a, b, rtol=1e-4, atol=1e-5)
                for a, b in zip(reference, folded)):
            MMLogger.get_current_instance().warning(
                f'Not folding the BatchNorms of {type(original).__name__}: '
                f'its outputs changed (a BN not applied right after the '
                f'convolution registered before it).')
            self.backbone = original.to(memory_format=torch.channels_last)

    @torch.no_grad()
    def _probe_embed_dim(self) -> int:
        query, _ = self(probe_inputs(self.backbone, 2), num_views=2)
        return query.shape[-1]

    def set_input_normalization(self, mean: torch.Tensor,
                                std: torch.Tensor) -> None:
        """Map inputs normalised with the student's ``mean``/``std`` to the
        teacher's own normalisation (an affine map per channel)."""
        mean, std = mean.reshape(1, -1, 1, 1), std.reshape(1, -1, 1, 1)
        t_mean = mean if self.mean is None else torch.tensor(
            self.mean, dtype=mean.dtype).reshape(1, -1, 1, 1)
        t_std = std if self.std is None else torch.tensor(
            self.std, dtype=std.dtype).reshape(1, -1, 1, 1)
        self.input_scale.copy_(std / t_std)
        self.input_shift.copy_((mean - t_mean) / t_std)

    def train(self, mode: bool = True) -> 'FrozenTeacher':
        """Stay in eval mode: BN statistics and dropout never change."""
        return super().train(False)

    def _embed(self, feats: Tuple[torch.Tensor], head: Optional[nn.Module]
               ) -> torch.Tensor:
        if head is None:
            return pool_embedding(feats[-1], self.embed,
                                  num_extra_tokens(self.backbone))
        return head(feats)[0]

    @torch.no_grad()
    def forward(self,
                inputs: torch.Tensor,
                num_views: int,
                query_views: Optional[Sequence[int]] = None,
                key_views: Optional[Sequence[int]] = None
                ) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
        """Embed ``num_views`` stacked views in one batched backbone pass.

        The heads run only on the views whose embeddings are asked for (e.g.
        MoCo needs the query of view 0 and the key of view 1).

        Args:
            inputs (torch.Tensor): ``(V*N, 3, H, W)``, views concatenated
                along the batch, normalised as the student's inputs.
            num_views (int): ``V``.
            query_views (Sequence[int], optional): Views to embed with the
                query head; None means all, ``()`` none.
            key_views (Sequence[int], optional): As ``query_views``, for the
                key head.

        Returns:
            Tuple[torch.Tensor, torch.Tensor]: L2-normalised query and key
            embeddings, ``(len(query_views), N, D)`` and
            ``(len(key_views), N, D)``; None for an empty selection.
        """
        all_views = tuple(range(num_views))
        query_views = all_views if query_views is None else tuple(query_views)
        key_views = all_views if key_views is None else tuple(key_views)
        x = inputs * self.input_scale + self.input_shift
        feats = self.backbone(x.contiguous(memory_format=torch.channels_last))
        query = self._embed_views(feats, self.neck, query_views, num_views)
        if self.momentum_neck is None and key_views == query_views:
            return query, query
        key_head = self.neck if self.momentum_neck is None else \
            self.momentum_neck
        return query, self._embed_views(feats, key_head, key_views, num_views)

    def _embed_views(self, feats: Tuple[torch.Tensor], head: Optional[nn.Module],
                     views: Tuple[int, ...],
                     num_views: int) -> Optional[torch.Tensor]:
        """Normalised ``(len(views), N, D)`` embeddings of some views."""
        if not views:
            return None
        if views != tuple(range(num_views)):
            feats = _select_views(feats, views, num_views)
        return F.normalize(
            self._embed(feats, head), dim=-1).unflatten(0, (len(views), -1))


def _select_views(feats, views: Tuple[int, ...], num_views: int):
    """The rows of ``views`` in (nested tuples of) ``(V*N, ...)`` tensors; a
    slice, without a copy, where the views are consecutive."""
    if isinstance(feats, (tuple, list)):
        return type(feats)(_select_views(f, views, num_views) for f in feats)
    n = feats.shape[0] // num_views
    if views == tuple(range(views[0], views[-1] + 1)):
        return feats[views[0] * n:(views[-1] + 1) * n]
    return torch.cat([feats[v * n:(v + 1) * n] for v in views])


def teacher_configs(teacher: Optional[dict],
                    teachers: Optional[Sequence[dict]]
                    ) -> List[Tuple[dict, float]]:
    """``(FrozenTeacher arguments, weight)`` of every teacher of a model.

    The single form ``teacher=dict(...)`` is a list of one teacher with
    weight 1; ``teachers=[dict(..., weight=w), ...]`` gives several (a
    missing ``weight`` is 1).
    """
    if (teacher is None) == (teachers is None):
        raise ValueError(
            'Set exactly one of model.teacher (one teacher) and '
            'model.teachers (a list of teachers, each dict(..., weight=w)); '
            f'got {"both" if teacher is not None else "neither"}.')
    if teacher is not None:
        return [(dict(teacher), 1.)]
    if not isinstance(teachers, (list, tuple)) or not teachers:
        raise ValueError(f'model.teachers must be a non-empty list of '
                         f'teacher dicts, got {teachers!r}')
    out = []
    for index, cfg in enumerate(teachers):
        cfg = dict(cfg)
        weight = cfg.pop('weight', 1.)
        if not isinstance(weight, (int, float)) or weight < 0:
            raise ValueError(f'model.teachers[{index}].weight must be a '
                             f'number >= 0, got {weight!r}')
        out.append((cfg, float(weight)))
    return out


def teacher_queue_name(index: int) -> str:
    """State-dict name of teacher ``index``'s key queue: teacher 0 keeps the
    single-teacher name, so checkpoints of that form load unchanged."""
    return 'teacher_queue' if index == 0 else f'teacher_queue_{index}'


class TeacherDistillMixin:
    """Holds frozen teachers and a distillation loss for an algorithm.

    One code path for one or several teachers: the single form
    ``teacher=dict(...)`` is the list ``teachers=[dict(..., weight=1.)]``.
    The distillation term is ``sum_i w_i * distill_loss(s_i, t_i)`` (the
    loss's own ``loss_weight`` on top), with one batched forward per teacher
    and step. AM-RADIO and ZEN distil several public models into one
    student likewise; they fit features, we fit each teacher's similarity
    distribution, so teachers need not share an embedding dimension where
    the student's candidates are its own (MoCo, SimCLR).

    The teachers are kept out of the algorithm's registered submodules, so

    - ``state_dict()`` has no teacher tensors: a student checkpoint stays
      small and loadable by plain mmpretrain;
    - the optimizer, DDP and ``init_weights`` never see them;
    - ``train()`` cannot switch them out of eval mode.

    Device and dtype moves (``.to()``, ``.cuda()``, ``.half()``) still reach
    them through :meth:`_apply`. Use it as the first base class of an
    mmpretrain self-supervised algorithm; call :meth:`_init_distillation` at
    the end of ``__init__``.

    One teacher for all ranks: DDP never sees a teacher, so nothing would
    make its weights equal across processes, and mmengine seeds every rank
    differently (``diff_rank_seed=True``). A teacher part that is not loaded
    from a checkpoint (a ``neck`` without ``checkpoint``, a backbone without
    ``init_cfg``) would then be a different random network on every rank, and
    the gathered teacher queue would mix them. So every teacher's whole state
    is broadcast from rank 0 when it is built (the Runner initialises the
    process group before it builds the model); loaded weights are unchanged
    by it.
    """

    def _init_distillation(self, teacher: Optional[dict],
                           teachers: Optional[Sequence[dict]],
                           distill_loss: dict) -> None:
        check_neck_fits(self.backbone, self.neck)
        preprocessor = self.data_preprocessor
        modules, weights = [], []
        for cfg, weight in teacher_configs(teacher, teachers):
            module = FrozenTeacher(**cfg)
            for tensor in module.state_dict().values():
                broadcast(tensor, src=0)
            module.set_input_normalization(preprocessor.mean,
                                           preprocessor.std)
            modules.append(module)
            weights.append(weight)
        self.__dict__['teachers'] = modules
        self.teacher_weights = tuple(weights)
        self.distill_loss = MODELS.build(distill_loss)

    @property
    def teacher(self) -> FrozenTeacher:
        """The first teacher (the only one of the single form)."""
        return self.teachers[0]

    def _register_teacher_queues(self, queue_len: int) -> Tuple[str, ...]:
        """One ``(D_i, queue_len)`` buffer of random unit keys per teacher;
        returns their names (see :func:`teacher_queue_name`)."""
        names = []
        for index, teacher in enumerate(self.teachers):
            names.append(teacher_queue_name(index))
            self.register_buffer(
                names[-1],
                F.normalize(torch.randn(teacher.embed_dim, queue_len), dim=0))
        return tuple(names)

    def teacher_embed(
        self,
        views: List[torch.Tensor],
        query_views: Optional[Sequence[int]] = None,
        key_views: Optional[Sequence[int]] = None
    ) -> List[Tuple[Optional[torch.Tensor], Optional[torch.Tensor]]]:
        """Each teacher's query and key embeddings of ``views``, one batched
        backbone call per teacher; see :meth:`FrozenTeacher.forward`."""
        inputs = torch.cat(views)
        return [
            teacher(inputs, len(views), query_views, key_views)
            for teacher in self.teachers
        ]

    def distill(self, pairs: Sequence[Tuple[torch.Tensor, torch.Tensor]]
                ) -> torch.Tensor:
        """``sum_i w_i * distill_loss(student_sim_i, teacher_sim_i)`` over
        the teachers' ``(student_sim, teacher_sim)`` pairs."""
        return sum(weight * self.distill_loss(student_sim, teacher_sim)
                   for weight, (student_sim, teacher_sim)
                   in zip(self.teacher_weights, pairs))

    def _apply(self, fn, *args, **kwargs):
        super()._apply(fn, *args, **kwargs)
        for teacher in self.teachers:
            teacher._apply(fn, *args, **kwargs)
        return self

    def extra_repr(self) -> str:
        return '\n'.join(
            f'(teachers[{i}]): frozen, not saved, weight {weight}: '
            f'{type(t.backbone).__name__} backbone, embedding dim '
            f'{t.embed_dim}, checkpoint {t.checkpoint}'
            for i, (t, weight) in enumerate(
                zip(self.teachers, self.teacher_weights)))
