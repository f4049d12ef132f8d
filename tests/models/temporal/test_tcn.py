"""MultiStageTCN: causality, masking of padded frames, structure."""
import pytest
import torch

from mmdistill.models.temporal import MultiStageTCN

IN_CHANNELS, NUM_CLASSES, T = 6, 4, 40


def build_tcn(causal: bool, num_stages: int = 3) -> MultiStageTCN:
    torch.manual_seed(0)
    return MultiStageTCN(
        IN_CHANNELS,
        NUM_CLASSES,
        num_stages=num_stages,
        num_layers=4,
        num_f_maps=8,
        causal=causal).eval()


def perturb_after(x: torch.Tensor, t: int) -> torch.Tensor:
    """``x`` with every frame after ``t`` replaced by large random values."""
    changed = x.clone()
    changed[:, :, t + 1:] = 10 * torch.randn_like(changed[:, :, t + 1:])
    return changed


@pytest.mark.parametrize('t', [0, 1, 9, 22, T - 2])
def test_causal_prediction_at_t_ignores_later_frames(t):
    """Done criterion of issue 6: frames after t leave outputs <= t as they
    are, in every stage of an untrained model."""
    tcn = build_tcn(causal=True)
    x = torch.randn(2, IN_CHANNELS, T)
    with torch.no_grad():
        out, out_changed = tcn(x), tcn(perturb_after(x, t))
    assert out.shape == (3, 2, NUM_CLASSES, T)
    torch.testing.assert_close(
        out_changed[..., :t + 1], out[..., :t + 1], rtol=0, atol=1e-6)
    # The perturbation is large enough to show where it is seen.
    assert (out_changed[..., t + 1:] - out[..., t + 1:]).abs().max() > 1e-2


def test_causal_prediction_uses_past_frames():
    tcn = build_tcn(causal=True)
    x = torch.randn(1, IN_CHANNELS, T)
    changed = x.clone()
    changed[:, :, 5] += 10
    with torch.no_grad():
        diff = (tcn(changed) - tcn(x)).abs().amax(dim=(0, 1, 2))
    assert diff[:5].max() <= 1e-6
    # Receptive field of 4 layers: 1 + 2 * (1 + 2 + 4 + 8) = 31 frames back.
    assert (diff[5:5 + 31] > 1e-4).all()


@pytest.mark.parametrize('t', [0, 9, 22])
def test_non_causal_prediction_at_t_uses_later_frames(t):
    tcn = build_tcn(causal=False)
    x = torch.randn(1, IN_CHANNELS, T)
    with torch.no_grad():
        out, out_changed = tcn(x), tcn(perturb_after(x, t))
    # Frame t sees frame t + 1 from the first layer on, in every stage.
    assert ((out_changed[..., t] - out[..., t]).abs().amax(dim=(1, 2))
            > 1e-4).all()


@pytest.mark.parametrize('causal', [True, False])
def test_padded_frames_do_not_change_real_frames(causal):
    tcn = build_tcn(causal)
    long, short = torch.randn(IN_CHANNELS, T), torch.randn(IN_CHANNELS, 23)
    batch = 100 * torch.randn(2, IN_CHANNELS, T)  # garbage in the padding
    batch[0], batch[1, :, :23] = long, short
    mask = torch.zeros(2, T, dtype=torch.bool)
    mask[0], mask[1, :23] = True, True
    with torch.no_grad():
        out = tcn(batch, mask)
        alone_long = tcn(long[None])
        alone_short = tcn(short[None])
    torch.testing.assert_close(out[:, 0], alone_long[:, 0])
    torch.testing.assert_close(out[:, 1, :, :23], alone_short[:, 0])
    assert (out[:, 1, :, 23:] == 0).all()


def test_stage_structure():
    tcn = build_tcn(causal=True, num_stages=2)
    layers = tcn.stages[0].layers
    assert [layer.conv_dilated.dilation[0] for layer in layers] == [1, 2, 4, 8]
    assert [layer.padding for layer in layers] == [(2, 0), (4, 0), (8, 0),
                                                   (16, 0)]
    assert tcn.stages[0].conv_in.in_channels == IN_CHANNELS
    assert tcn.stages[1].conv_in.in_channels == NUM_CLASSES
    non_causal = build_tcn(causal=False)
    assert non_causal.stages[0].layers[3].padding == (8, 8)


def test_single_stage_and_stage_inputs_are_previous_softmax():
    tcn = build_tcn(causal=False, num_stages=2)
    x = torch.randn(1, IN_CHANNELS, T)
    with torch.no_grad():
        out = tcn(x)
        refined = tcn.stages[1](out[0].softmax(dim=1), torch.ones(1, 1, T))
    torch.testing.assert_close(out[1], refined)
    single = MultiStageTCN(IN_CHANNELS, NUM_CLASSES, num_stages=1)
    assert single(x).shape == (1, 1, NUM_CLASSES, T)


def test_invalid_sizes_are_rejected():
    with pytest.raises(ValueError, match='num_stages'):
        MultiStageTCN(IN_CHANNELS, NUM_CLASSES, num_stages=0)
