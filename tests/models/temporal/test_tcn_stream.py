"""Online (frame-by-frame) causal TCN: prefix invariance, constant state."""
import pytest
import torch

from mmdistill.models.temporal import CausalTCNStream, MultiStageTCN

IN_CHANNELS, NUM_CLASSES, T = 6, 4, 70


def build_tcn(causal: bool = True) -> MultiStageTCN:
    torch.manual_seed(0)
    tcn = MultiStageTCN(
        IN_CHANNELS,
        NUM_CLASSES,
        num_stages=3,
        num_layers=5,
        num_f_maps=8,
        causal=causal).eval()
    # Non-zero biases everywhere, so the zero history before frame 0 and the
    # ring-buffer positions are both exercised.
    with torch.no_grad():
        for name, p in tcn.named_parameters():
            if name.endswith('bias'):
                p.uniform_(-0.5, 0.5)
    return tcn


def test_every_online_step_equals_the_offline_run_on_the_prefix():
    """Prefix invariance: for every t, the stream's logits at t equal the
    batch causal network's last logits on frames 0..t alone (T = 70 exceeds
    the receptive field of 1 + 2 * 31 = 63 frames, so the ring buffers
    wrap)."""
    tcn = build_tcn()
    x = torch.randn(2, IN_CHANNELS, T)
    stream = tcn.stream(batch_size=2)
    with torch.no_grad():
        for t in range(T):
            online = stream.step(x[:, :, t])
            offline = tcn(x[:, :, :t + 1])[..., t]
            torch.testing.assert_close(online, offline, rtol=0, atol=1e-5)
    assert stream.frames == T


def test_state_does_not_grow_with_time():
    tcn = build_tcn()
    stream = tcn.stream()
    sizes = []
    for t in range(T):
        stream.step(torch.randn(1, IN_CHANNELS))
        sizes.append(
            sum(s.buffer.numel() for stage in stream.states for s in stage))
    # Per stage: sum over layers of (2 * 2**l + 1) frames of 8 channels.
    assert set(sizes) == {3 * 8 * sum(2 * 2**l + 1 for l in range(5))}


def test_two_streams_are_independent():
    tcn = build_tcn()
    x = torch.randn(1, IN_CHANNELS, 10)
    first, second = tcn.stream(), tcn.stream()
    for t in range(10):
        a = first.step(x[:, :, t])
        second.step(torch.randn(1, IN_CHANNELS))
    torch.testing.assert_close(a, tcn(x)[..., -1], rtol=0, atol=1e-5)


def test_offline_network_refuses_to_stream():
    with pytest.raises(ValueError, match='causal=True'):
        CausalTCNStream(build_tcn(causal=False))
