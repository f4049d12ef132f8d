"""Multi-stage temporal convolutional network over per-frame features.

MS-TCN (Farha & Gall, CVPR 2019) and its causal variant TeCNO (Czempiel et
al., MICCAI 2020) map a sequence of frame features to per-frame phase logits.
A stage is a 1x1 convolution into ``num_f_maps`` channels, ``num_layers``
dilated residual layers (dilation ``2**l``, kernel 3) and a 1x1 convolution
to class logits; every later stage refines the softmax of the previous stage's
logits.

Non-causal layers pad both sides by the dilation (frame ``t`` sees
``t - d, t, t + d``); causal layers pad the left side only by ``2 * d``
(frame ``t`` sees ``t - 2d, t - d, t``), so a prediction never depends on
later frames and the model can run online during surgery.

Padding of a batch of videos: activations are multiplied by the frame mask
after the input projection, after every residual layer and at the output, as
MS-TCN does after every layer. MS-TCN leaves the input projection unmasked,
so its bias leaks from padded frames into the last valid frames of a padded
video; masking it too makes a padded video's outputs equal the unpadded
video's. The causal model never reads padded frames (padding is at the end).

Online inference (:meth:`MultiStageTCN.stream`): a causal network fed one
frame at a time keeps, per dilated layer, a ring buffer of its last ``2d + 1``
inputs, so frame ``t`` costs the same for every ``t`` (one kernel-3 dot
product per layer) and its logits equal those of the whole causal network on
the frames ``0..t``. TeCNO's released code re-runs the network on the whole
prefix instead, which costs O(t) per frame.
"""
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmdistill.registry import MODELS, VIDEO_MODELS


class DilatedResidualLayer(nn.Module):
    """Dilated conv (kernel 3) -> ReLU -> 1x1 conv -> dropout -> residual.

    Args:
        channels: Input and output channels.
        dilation: Dilation of the kernel-3 convolution.
        causal: Pad on the left only, so frame ``t`` sees no later frame.
        dropout: Dropout probability (MS-TCN: 0.5).
    """

    def __init__(self, channels: int, dilation: int, causal: bool,
                 dropout: float) -> None:
        super().__init__()
        self.padding = (2 * dilation, 0) if causal else (dilation, dilation)
        self.conv_dilated = nn.Conv1d(
            channels, channels, kernel_size=3, dilation=dilation)
        self.conv_1x1 = nn.Conv1d(channels, channels, kernel_size=1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Apply the layer to ``x`` [B, C, T] with frame mask [B, 1, T]."""
        out = F.relu(self.conv_dilated(F.pad(x, self.padding)))
        out = self.dropout(self.conv_1x1(out))
        return (x + out) * mask


class SingleStageTCN(nn.Module):
    """One MS-TCN stage: 1x1 conv in, dilated residual layers, 1x1 conv out.

    Args:
        in_channels: Channels of the stage input.
        num_classes: Number of phases (output channels).
        num_layers: Residual layers, with dilations ``1, 2, ..., 2**(L-1)``.
        num_f_maps: Channels inside the stage.
        causal: Use causal (left-padded) convolutions.
        dropout: Dropout probability of the residual layers.
    """

    def __init__(self, in_channels: int, num_classes: int, num_layers: int,
                 num_f_maps: int, causal: bool, dropout: float) -> None:
        super().__init__()
        self.conv_in = nn.Conv1d(in_channels, num_f_maps, kernel_size=1)
        self.layers = nn.ModuleList(
            DilatedResidualLayer(num_f_maps, 2**i, causal, dropout)
            for i in range(num_layers))
        self.conv_out = nn.Conv1d(num_f_maps, num_classes, kernel_size=1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Logits [B, num_classes, T] of ``x`` [B, in_channels, T]."""
        out = self.conv_in(x) * mask
        for layer in self.layers:
            out = layer(out, mask)
        return self.conv_out(out) * mask


@MODELS.register_module()
@VIDEO_MODELS.register_module()
class MultiStageTCN(BaseModule):
    """MS-TCN (``causal=False``) or TeCNO (``causal=True``) phase network.

    ``num_stages=1`` gives the single-stage TCN of the released code of
    "distilling self-supervisions" (causal, 12 layers, 64 maps; its extra
    channel dropout on the input features is not reproduced).

    Args:
        in_channels: Dimension D of the frame features.
        num_classes: Number of phases.
        num_stages: Number of stages; stage ``s > 0`` refines the softmax of
            stage ``s - 1``. MS-TCN: 4, TeCNO: 2.
        num_layers: Dilated residual layers per stage. MS-TCN: 10, TeCNO: 8.
        num_f_maps: Channels inside each stage. Both papers: 64.
        causal: Online (causal) instead of offline convolutions.
        dropout: Dropout probability in the residual layers (MS-TCN: 0.5).
        init_cfg: mmengine initialisation config; None keeps PyTorch's
            default initialisation, as MS-TCN does.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 num_stages: int = 4,
                 num_layers: int = 10,
                 num_f_maps: int = 64,
                 causal: bool = False,
                 dropout: float = 0.5,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_stages < 1 or num_layers < 1:
            raise ValueError(
                f'MultiStageTCN needs num_stages >= 1 and num_layers >= 1, '
                f'got num_stages={num_stages}, num_layers={num_layers}')
        self.causal = causal
        self.stages = nn.ModuleList(
            SingleStageTCN(in_channels if s == 0 else num_classes, num_classes,
                           num_layers, num_f_maps, causal, dropout)
            for s in range(num_stages))

    def forward(self,
                x: torch.Tensor,
                mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Per-stage logits of a batch of feature sequences.

        Args:
            x: Features [B, D, T].
            mask: Bool or 0/1 [B, T], true on real (unpadded) frames; None
                means every frame is real.

        Returns:
            Logits [num_stages, B, num_classes, T], zero on padded frames.
        """
        if mask is None:
            mask = x.new_ones(x.shape[0], x.shape[2])
        mask = mask[:, None, :].to(x.dtype)
        out = self.stages[0](x, mask)
        outputs = [out]
        for stage in self.stages[1:]:
            out = stage(F.softmax(out, dim=1) * mask, mask)
            outputs.append(out)
        return torch.stack(outputs)

    def stream(self, batch_size: int = 1) -> 'CausalTCNStream':
        """A :class:`CausalTCNStream` over this (causal) network."""
        return CausalTCNStream(self, batch_size)


class _LayerState:
    """Ring buffer of the last ``2 * dilation + 1`` inputs of a layer."""

    def __init__(self, layer: DilatedResidualLayer, batch_size: int,
                 like: torch.Tensor) -> None:
        self.layer = layer
        self.dilation = layer.conv_dilated.dilation[0]
        self.length = 2 * self.dilation + 1
        # Zeros before the first frame, as the causal left padding.
        self.buffer = like.new_zeros(batch_size, layer.conv_dilated.in_channels,
                                     self.length)
        self.position = 0

    def step(self, x: torch.Tensor) -> torch.Tensor:
        """Output [B, C] of the layer at the next frame, given its input."""
        self.position = (self.position + 1) % self.length
        self.buffer[:, :, self.position] = x
        taps = [(self.position - k * self.dilation) % self.length
                for k in (2, 1, 0)]
        window = self.buffer[:, :, taps]  # frames t - 2d, t - d, t
        conv = self.layer.conv_dilated
        out = F.relu(F.conv1d(window, conv.weight, conv.bias))
        out = self.layer.dropout(self.layer.conv_1x1(out))
        return x + out[:, :, 0]


class CausalTCNStream:
    """Online, frame-by-frame run of a causal :class:`MultiStageTCN`.

    Create with :meth:`MultiStageTCN.stream`. Each :meth:`step` takes the
    features of the next frame and returns the logits of every stage at that
    frame, equal (up to float rounding) to ``tcn(x[..., :t + 1])[..., t]``.
    Memory and time per frame are constant: ``2 * 2**l + 1`` frames of
    ``num_f_maps`` channels per layer ``l``, for every stage.

    Args:
        tcn: A causal network in eval mode (dropout would make the stream
            differ from the batch run).
        batch_size: Number of videos streamed side by side.
    """

    def __init__(self, tcn: 'MultiStageTCN', batch_size: int = 1) -> None:
        if not tcn.causal:
            raise ValueError(
                'Online inference needs a causal MultiStageTCN (causal=True, '
                'as TeCNO); an offline MS-TCN looks at later frames')
        self.tcn = tcn
        like = next(tcn.parameters())
        self.states: List[List[_LayerState]] = [[
            _LayerState(layer, batch_size, like) for layer in stage.layers
        ] for stage in tcn.stages]
        self.frames = 0

    @torch.no_grad()
    def step(self, x: torch.Tensor) -> torch.Tensor:
        """Logits [num_stages, B, num_classes] of the next frame's ``x``
        [B, in_channels]."""
        outputs = []
        out = x
        for stage, states in zip(self.tcn.stages, self.states):
            if outputs:
                out = F.softmax(out, dim=1)
            h = F.conv1d(out[:, :, None], stage.conv_in.weight,
                         stage.conv_in.bias)[:, :, 0]
            for state in states:
                h = state.step(h)
            out = F.conv1d(h[:, :, None], stage.conv_out.weight,
                           stage.conv_out.bias)[:, :, 0]
            outputs.append(out)
        self.frames += 1
        return torch.stack(outputs)
