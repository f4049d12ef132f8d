"""Precise BN: the cumulative average of batch statistics, nothing else."""
import pytest
import torch
import torch.nn as nn

from mmdistill.models.utils import recalibrate_batch_norms


def frozen_net() -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.5),
        nn.Conv2d(4, 5, 3), nn.BatchNorm2d(5, momentum=0.3))
    for bn in (net[1], net[5]):
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.data.uniform_(0.5, 2)
        bn.bias.data.uniform_(-1, 1)
    return net.requires_grad_(False).eval()


def test_running_stats_are_the_mean_of_batch_stats():
    net = frozen_net()
    weights = {k: v.clone() for k, v in net.state_dict().items()
               if 'running' not in k and 'num_batches' not in k}
    # Batches of different sizes and offsets, so weighting matters.
    batches = [torch.randn(n, 3, 8, 8) * s + o
               for n, s, o in ((4, 1., 0.), (2, 2., 1.), (6, .5, -2.))]

    assert recalibrate_batch_norms(net, iter(batches)) == 3

    conv = net[0]
    outputs = [torch.conv2d(x, conv.weight, conv.bias) for x in batches]
    means = torch.stack([y.mean((0, 2, 3)) for y in outputs])
    vars_ = torch.stack([y.var((0, 2, 3), unbiased=True) for y in outputs])
    bn = net[1]
    assert torch.allclose(bn.running_mean, means.mean(0), atol=1e-6)
    assert torch.allclose(bn.running_var, vars_.mean(0), rtol=1e-5)
    assert int(bn.num_batches_tracked) == 3
    after = net.state_dict()
    for key, value in weights.items():
        assert torch.equal(after[key], value), key
    assert not any(m.training for m in net.modules())
    assert (net[1].momentum, net[5].momentum) == (0.1, 0.3)
    assert all(p.grad is None for p in net.parameters())


def test_second_bn_sees_the_eval_mode_network_before_it():
    """Only BN runs in train mode (Dropout stays off): the second BN's
    statistics are those of deterministic features, each batch normalised
    by the first BN with its own batch statistics."""
    net = frozen_net()
    batches = [torch.randn(4, 3, 8, 8) for _ in range(2)]
    recalibrate_batch_norms(net, batches)
    with torch.no_grad():
        feats = []
        for x in batches:
            y = net[0](x)
            y = (y - y.mean((0, 2, 3), keepdim=True)) / torch.sqrt(
                y.var((0, 2, 3), unbiased=False, keepdim=True) + net[1].eps)
            y = y * net[1].weight[:, None, None] + net[1].bias[:, None, None]
            feats.append(net[4](torch.relu(y)))
    expected = torch.stack([f.mean((0, 2, 3)) for f in feats]).mean(0)
    assert torch.allclose(net[5].running_mean, expected, atol=1e-5)


def test_refuses_what_it_cannot_recalibrate():
    with pytest.raises(ValueError, match='no BatchNorm'):
        recalibrate_batch_norms(nn.Conv2d(3, 3, 1), [torch.randn(1, 3, 2, 2)])
    net = frozen_net()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    with pytest.raises(ValueError, match='empty'):
        recalibrate_batch_norms(net, [])
    with pytest.raises(RuntimeError):  # a batch of the wrong shape
        recalibrate_batch_norms(net, [torch.randn(2, 3, 8, 8),
                                      torch.randn(2, 1, 8, 8)])
    for key, value in net.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert net[1].momentum == 0.1 and not net[1].training
