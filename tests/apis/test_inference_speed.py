"""mmdistill.apis.inference_speed on tiny settings: the measured models are
the ones named, and the measurements are what they say."""
import numpy as np
import pytest

from mmdistill.apis import inference_speed
from mmdistill.apis.inference_speed import (SpeedSettings, build_inferencers,
                                            format_table, measure_speed)

SETTINGS = SpeedSettings(depths=(18, ), size=64, offline_frames=4,
                         online_frames=3, growth_frames=120, repeats=2,
                         batch_size=2)


def test_inferencers_are_the_named_models(tmp_path):
    pair = build_inferencers(str(tmp_path), 18, SETTINGS)
    offline, online = pair['offline'], pair['online']
    for inferencer in (offline, online):
        assert inferencer.model.backbone.depth == 18
        assert inferencer.feature_dim == 512
        assert inferencer.size == (64, 64)
    # MS-TCN offline (4 stages x 10 layers), causal TeCNO online (2 x 8).
    assert not offline.tcn.causal and len(offline.tcn.stages) == 4
    assert len(offline.tcn.stages[0].layers) == 10
    assert online.tcn.causal and len(online.tcn.stages) == 2
    assert len(online.tcn.stages[0].layers) == 8


def test_measurements_count_every_frame(monkeypatch):
    """Each online push and each TCN step is timed once; the table reports
    the median offline rate and the mean and 95th percentile of the online
    latencies, here of known fake timings."""
    calls = {'online': 0, 'steps': 0}
    real_online = inference_speed.time_online
    real_steps = inference_speed.time_stream_steps

    def online(inferencer, frames):
        latencies = real_online(inferencer, frames)
        assert len(latencies) == len(frames)
        calls['online'] += 1
        return [0.001 * (i + 1) for i in range(len(frames))]  # 1, 2, 3 ms

    def steps(inferencer, frames):
        latencies = real_steps(inferencer, frames)
        assert len(latencies) == frames == SETTINGS.growth_frames
        calls['steps'] += 1
        return list(np.linspace(0, 1e-3, frames))

    monkeypatch.setattr(inference_speed, 'time_online', online)
    monkeypatch.setattr(inference_speed, 'time_stream_steps', steps)
    rates = iter([10., 30., 20.])  # warm-up, then the two repetitions
    monkeypatch.setattr(inference_speed, 'time_offline',
                        lambda inferencer, frames: next(rates))
    result, = measure_speed(SETTINGS)
    assert calls == {'online': 3, 'steps': 2}  # warm-up + 2 repetitions
    assert result.model == 'ResNet-18'
    assert result.offline_fps == 25.
    assert result.online_mean_ms == pytest.approx(2.)
    assert result.online_median_ms == pytest.approx(2.)
    assert result.online_p95_ms == pytest.approx(
        np.percentile([1, 2, 3, 1, 2, 3], 95))
    ramp = np.linspace(0, 1, SETTINGS.growth_frames)
    assert result.step_early_ms == pytest.approx(np.median(ramp[90:110]))
    assert result.step_late_ms == pytest.approx(np.median(ramp[-20:]))
    table = format_table([result], SETTINGS)
    assert '| ResNet-18 | 25.0 | 2.0 | 2.0 |' in table
    assert 't≈100' in table and 't≈120' in table
