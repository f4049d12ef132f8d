"""Surgical phase recognition from per-frame feature sequences."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor, BaseModel
from mmpretrain.structures import DataSample
from torch import nn
from torch.nn.utils.rnn import pad_sequence

from mmdistill.registry import MODELS, VIDEO_MODELS


@MODELS.register_module()
@VIDEO_MODELS.register_module()
class PhaseSequencePreprocessor(BaseDataPreprocessor):
    """Pad a batch of whole videos to its longest one and build the mask.

    Padding lives here rather than in a collate function, so the Runner's
    default ``pseudo_collate`` works and a config needs nothing but the
    dataset. Videos are padded at the end with zeros.

    Input: ``dict(inputs=[FloatTensor[T_i, D], ...], data_samples=[...])``
    (or a stacked [B, T, D] tensor). Output: ``dict(inputs=[B, D, T_max],
    data_samples=..., mask=BoolTensor[B, T_max])``, mask true on real frames.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        """Pad, transpose to [B, D, T] and move to the model's device."""
        data = self.cast_data(data)
        sequences = list(data['inputs'])
        for i, seq in enumerate(sequences):
            if seq.dim() != 2 or seq.shape[0] == 0:
                raise ValueError(
                    f'PhaseSequencePreprocessor expects each input as a '
                    f'non-empty [T, D] feature sequence; item {i} has shape '
                    f'{tuple(seq.shape)}')
        dims = {seq.shape[1] for seq in sequences}
        if len(dims) > 1:
            raise ValueError(f'Feature dimensions differ within a batch: '
                             f'{sorted(dims)}; extract all videos with one '
                             f'checkpoint')
        lengths = torch.tensor([seq.shape[0] for seq in sequences],
                               device=self.device)
        padded = pad_sequence([seq.float() for seq in sequences],
                              batch_first=True)
        positions = torch.arange(padded.shape[1], device=self.device)
        mask = positions[None, :] < lengths[:, None]
        return dict(
            inputs=padded.transpose(1, 2).contiguous(),
            data_samples=data.get('data_samples'),
            mask=mask)


@MODELS.register_module()
@VIDEO_MODELS.register_module()
class TemporalPhaseModel(BaseModel):
    """Per-frame phase classifier over whole-video feature sequences.

    The temporal stage of MS-TCN / TeCNO as used by "distilling
    self-supervisions": a :class:`MultiStageTCN` over features of a frozen
    backbone, trained with cross-entropy plus a truncated-MSE smoothing loss
    on every stage, predicting with the last stage.

    Args:
        tcn: Config of the temporal network, e.g.
            ``dict(type='MultiStageTCN', in_channels=2048, num_classes=7)``.
        loss_cls: Per-frame classification loss over the real frames of the
            batch, called as ``loss(scores[N, C], labels[N])``.
        loss_smooth: Smoothing loss, called as ``loss(logits, mask)``.
        data_preprocessor: Defaults to :class:`PhaseSequencePreprocessor`.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 tcn: dict,
                 loss_cls: dict = dict(type='CrossEntropyLoss'),
                 loss_smooth: dict = dict(
                     type='TruncatedMSELoss', tau=4., loss_weight=0.15),
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='PhaseSequencePreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.tcn = MODELS.build(tcn)
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_smooth = MODELS.build(loss_smooth)

    def forward(
        self,
        inputs: torch.Tensor,
        data_samples: Optional[List[DataSample]] = None,
        mode: str = 'tensor',
        mask: Optional[torch.Tensor] = None
    ) -> Union[torch.Tensor, Dict[str, torch.Tensor], List[DataSample]]:
        """Run in ``mode`` 'tensor' (stage logits), 'loss' or 'predict'.

        Args:
            inputs: Padded features [B, D, T].
            data_samples: One per video; 'loss' needs their ``gt_phase``.
            mode: 'tensor', 'loss' or 'predict'.
            mask: Bool [B, T], true on real frames; None means all real.
        """
        mask = (torch.ones_like(inputs[:, 0], dtype=torch.bool)
                if mask is None else mask.bool())
        if mode == 'tensor':
            return self.tcn(inputs, mask)
        if mode == 'loss':
            return self.loss(inputs, data_samples, mask)
        if mode == 'predict':
            return self.predict(inputs, data_samples, mask)
        raise RuntimeError(f'Invalid mode "{mode}"; expected "tensor", '
                           f'"loss" or "predict"')

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample],
             mask: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Classification and smoothing losses of every stage.

        Returns:
            ``loss_cls_s{i}`` and ``loss_smooth_s{i}`` for stage ``i``;
            mmengine sums them, as MS-TCN sums its losses over stages.
        """
        labels = self._real_frame_labels(data_samples, mask)
        losses = {}
        for i, logits in enumerate(self.tcn(inputs, mask)):
            scores = logits.transpose(1, 2)[mask]
            losses[f'loss_cls_s{i}'] = self.loss_cls(scores, labels)
            losses[f'loss_smooth_s{i}'] = self.loss_smooth(logits, mask)
        return losses

    def predict(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mask: Optional[torch.Tensor] = None) -> List[DataSample]:
        """Phase scores and predictions of the last stage, one per video.

        Each returned sample carries ``phase_score`` (softmax, [T, C]) and
        ``pred_phase`` ([T]) cut to the video's real length, besides its
        input fields (``gt_phase``, ``video_name``).
        """
        if mask is None:
            mask = torch.ones_like(inputs[:, 0], dtype=torch.bool)
        if data_samples is None:
            data_samples = [DataSample() for _ in range(inputs.shape[0])]
        scores = F.softmax(self.tcn(inputs, mask)[-1], dim=1)
        for score, length, sample in zip(scores, mask.sum(dim=1),
                                         data_samples):
            sample.phase_score = score[:, :length].T
            sample.pred_phase = sample.phase_score.argmax(dim=1)
        return data_samples

    @staticmethod
    def _real_frame_labels(data_samples: Sequence[DataSample],
                           mask: torch.Tensor) -> torch.Tensor:
        """``gt_phase`` of all real frames, ordered video by video."""
        labels = []
        for sample, length in zip(data_samples, mask.sum(dim=1).tolist()):
            gt_phase = sample.gt_phase
            if gt_phase.shape != (length, ):
                raise ValueError(
                    f'Video {sample.get("video_name", "?")!r} has '
                    f'{length} feature frames but gt_phase of shape '
                    f'{tuple(gt_phase.shape)}; re-extract its features')
            labels.append(gt_phase)
        return torch.cat(labels).to(mask.device)
