"""TruncatedMSELoss against hand-computed and numpy references."""
import math

import numpy as np
import pytest
import torch

from mmdistill.models.temporal import TruncatedMSELoss


def log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def reference(logits: np.ndarray, tau: float, weight: float):
    """MS-TCN's loss and its gradient for unpadded [B, C, T] logits.

    d = log p_t - log p_{t-1} per class; loss = weight * mean(min(d^2, tau^2))
    over (b, c, t >= 1). With p_{t-1} detached, frame t gets gradient only
    from pair (t-1, t): d loss / d z_j = weight / N * sum_c 2 d_c [d_c^2 <
    tau^2] (delta_cj - p_j), N = B * C * (T - 1).
    """
    logp = log_softmax(logits.astype(np.float64))
    d = logp[:, :, 1:] - logp[:, :, :-1]
    clamped = np.minimum(d**2, tau**2)
    n = d.size
    loss = weight * clamped.mean()
    p = np.exp(logp[:, :, 1:])
    active = 2 * d * (d**2 < tau**2)  # [B, C, T-1]
    # sum_c active_c (delta_cj - p_j) = active_j - p_j * sum_c active_c
    grad = np.zeros_like(logp)
    grad[:, :, 1:] = weight / n * (
        active - p * active.sum(axis=1, keepdims=True))
    return loss, grad, (d**2 >= tau**2).mean()


def test_hand_computed_value_with_clamp():
    # Frame 0: p = (1/2, 1/2). Frame 1: log p ~ (0, -20).
    # d^2 = (ln 2)^2 and (20 - ln 2)^2 -> clamped to tau^2 = 16.
    logits = torch.tensor([[[0., 0.], [0., -20.]]])
    loss = TruncatedMSELoss(tau=4., loss_weight=0.15)(logits)
    expected = 0.15 * (math.log(2)**2 + 16) / 2
    assert loss.item() == pytest.approx(expected, abs=1e-6)
    assert expected == pytest.approx(1.23603398, abs=1e-8)


@pytest.mark.parametrize('tau,weight', [(4., 0.15), (1., 1.), (0.5, 2.)])
def test_matches_numpy_reference_value_and_gradient(tau, weight):
    rng = np.random.default_rng(0)
    logits_np = 3 * rng.standard_normal((2, 5, 9))
    logits = torch.tensor(logits_np, dtype=torch.float64, requires_grad=True)
    loss = TruncatedMSELoss(tau=tau, loss_weight=weight)(logits)
    loss.backward()
    ref_loss, ref_grad, clamped_share = reference(logits_np, tau, weight)
    assert loss.item() == pytest.approx(ref_loss, rel=1e-10)
    np.testing.assert_allclose(logits.grad.numpy(), ref_grad, atol=1e-12)
    # The previous frame is detached: the first frame gets no gradient.
    assert (logits.grad[:, :, 0] == 0).all()
    if tau < 4:
        assert clamped_share > 0.1  # the clamp is exercised


def test_padding_does_not_change_the_loss():
    torch.manual_seed(0)
    short, long = torch.randn(1, 4, 6), torch.randn(1, 4, 11)
    loss = TruncatedMSELoss(tau=1., loss_weight=1.)
    batch = 50 * torch.randn(2, 4, 11)  # garbage in the padding
    batch[0, :, :6], batch[1] = short[0], long[0]
    mask = torch.zeros(2, 11, dtype=torch.bool)
    mask[0, :6], mask[1] = True, True
    alone_short, alone_long = loss(short), loss(long)
    one_padded = loss(batch[:1], mask[:1])
    assert one_padded.item() == pytest.approx(alone_short.item(), rel=1e-6)
    # A batch averages over its real pairs: 5 of the short, 10 of the long.
    expected = (5 * alone_short + 10 * alone_long) / 15
    assert loss(batch, mask).item() == pytest.approx(expected.item(), rel=1e-6)


def test_single_frame_gives_zero_and_tau_must_be_positive():
    assert TruncatedMSELoss()(torch.randn(1, 3, 1)).item() == 0
    with pytest.raises(ValueError, match='tau'):
        TruncatedMSELoss(tau=0)
