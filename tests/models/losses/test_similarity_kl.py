import numpy as np
import pytest
import torch

from mmdistill.models.losses import SimilarityKLLoss


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_value_and_gradient_match_numpy():
    rng = np.random.default_rng(0)
    s = rng.uniform(-1, 1, (3, 5))
    t = rng.uniform(-1, 1, (3, 5))
    tau_s, tau_t, w = 0.2, 0.5, 5.0
    p_s, p_t = _softmax(s / tau_s), _softmax(t / tau_t)
    # KL(p_t || p_s) per row, mean over the batch, times the weight.
    expected = w * np.mean(np.sum(p_t * (np.log(p_t) - np.log(p_s)), axis=1))
    # d/ds of sum_j p_t log p_t - p_t log softmax(s/tau)_j = (p_s - p_t)/tau.
    expected_grad = w * (p_s - p_t) / tau_s / s.shape[0]

    student = torch.tensor(s, requires_grad=True)
    teacher = torch.tensor(t, requires_grad=True)
    loss = SimilarityKLLoss(tau_s, tau_t, loss_weight=w)(student, teacher)
    loss.backward()
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(student.grad.numpy(), expected_grad, rtol=1e-5)
    assert teacher.grad is None


def test_zero_when_distributions_agree():
    s = torch.randn(4, 7)
    assert SimilarityKLLoss()(s, s.clone()).item() == pytest.approx(0, abs=1e-6)


def test_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match='same candidates'):
        SimilarityKLLoss()(torch.randn(2, 5), torch.randn(2, 6))
