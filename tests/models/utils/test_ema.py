"""Our sync-free EMAs give mmengine's / mmpretrain's numbers and state dicts."""
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.model import ExponentialMovingAverage
from mmpretrain.models.utils import CosineEMA
from torch import nn

from mmdistill.models.utils import ForeachCosineEMA, ForeachEMA
from mmdistill.registry import MODELS

STEPS = 5


def small_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.Flatten(), nn.Linear(64, 2))


def train_steps(model: nn.Module, emas, steps: int = STEPS) -> None:
    """SGD steps on ``model`` (BN statistics change too), each followed by
    every EMA's update, as the algorithms do."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    generator = torch.Generator().manual_seed(1)
    for _ in range(steps):
        loss = model(torch.randn(4, 3, 6, 6, generator=generator)).tanh()
        optimizer.zero_grad()
        loss.mean().backward()
        optimizer.step()
        for ema in emas:
            ema.update_parameters(model)


def assert_same_state(ours: nn.Module, reference: nn.Module) -> None:
    ours_state, ref_state = ours.state_dict(), reference.state_dict()
    assert list(ours_state) == list(ref_state)
    for key, value in ref_state.items():
        assert torch.equal(ours_state[key], value), key


@pytest.mark.parametrize('update_buffers', [False, True])
@pytest.mark.parametrize('interval', [1, 2])
def test_foreach_ema_matches_mmengine(update_buffers, interval):
    model = small_model()
    ours = ForeachEMA(model, momentum=0.3, interval=interval,
                      update_buffers=update_buffers)
    reference = ExponentialMovingAverage(
        model, momentum=0.3, interval=interval,
        update_buffers=update_buffers)
    # The first update copies the model; later ones average.
    with torch.no_grad():
        model[0].weight.add_(1.)
    train_steps(model, [ours, reference], steps=1)
    assert torch.equal(ours.module[0].weight, model[0].weight)
    train_steps(model, [ours, reference])
    assert_same_state(ours, reference)
    assert int(ours.steps) == STEPS + 1
    assert not torch.equal(ours.module[0].weight, model[0].weight)
    # BN running statistics: copied (or averaged, with update_buffers).
    copied = torch.equal(ours.module[1].running_mean, model[1].running_mean)
    assert copied != update_buffers


def test_foreach_cosine_ema_matches_mmpretrain():
    MessageHub.get_current_instance().update_info('max_iters', 8)
    model = small_model()
    ours = ForeachCosineEMA(model, momentum=0.2, end_momentum=0.05)
    reference = CosineEMA(model, momentum=0.2, end_momentum=0.05)
    train_steps(model, [ours, reference])
    for (key, a), b in zip(ours.state_dict().items(),
                           reference.state_dict().values()):
        # mul_/add_ with a host float vs mmpretrain's tensor-derived float:
        # the same scalar, so the same numbers up to one rounding.
        assert torch.allclose(a.float(), b.float(), atol=1e-7), key


def test_state_dict_resumes_across_implementations():
    model = small_model()
    reference = ExponentialMovingAverage(model, momentum=0.1)
    train_steps(model, [reference], steps=3)
    state = reference.state_dict()
    assert 'steps' in state and any(k.startswith('module.') for k in state)

    resumed = ForeachEMA(small_model(), momentum=0.1)
    resumed.load_state_dict(state)
    # A resumed EMA averages (it does not copy again at its first update).
    train_steps(model, [resumed, reference], steps=2)
    assert_same_state(resumed, reference)
    back = ExponentialMovingAverage(small_model(), momentum=0.1)
    back.load_state_dict(resumed.state_dict())
    assert_same_state(back, resumed)


def test_update_makes_no_device_sync(monkeypatch):
    """The update never reads a tensor on the host (``steps`` included)."""
    model = small_model()
    ema = ForeachEMA(model, momentum=0.1)

    def no_host_read(*args, **kwargs):
        raise AssertionError('host read of a tensor in update_parameters')

    for name in ('__bool__', 'item', '__int__', '__float__', '__index__'):
        monkeypatch.setattr(torch.Tensor, name, no_host_read)
    train_steps(model, [ema], steps=3)
    monkeypatch.undo()
    assert int(ema.steps) == 3


def test_registered():
    model = nn.Linear(2, 2)
    assert isinstance(
        MODELS.build(dict(type='ForeachEMA', model=model, momentum=0.1)),
        ForeachEMA)
    MessageHub.get_current_instance().update_info('max_iters', 8)
    assert isinstance(
        MODELS.build(dict(type='ForeachCosineEMA', model=model)),
        ForeachCosineEMA)
