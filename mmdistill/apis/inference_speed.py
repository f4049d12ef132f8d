"""Speed of :class:`~mmdistill.apis.PhaseInferencer`: offline frames/s and
online per-frame latency.

Each frame model (an mmpretrain ResNet ``ImageClassifier`` of the Cholec80
fine-tuning config, depth changed) is measured with its temporal models, in
the inferencer's own code path from the fitted frame on: the config's test
pipeline (centre crop 224 of the 250 px frame), the data preprocessor, the
backbone, then

- **offline**: ``frame_features`` in batches of ``batch_size`` and one
  MS-TCN pass (``configs/benchmarks/temporal/mstcn_*``, 4 stages x 10
  layers) over the whole sequence; reported as frames/s;
- **online**: one :meth:`OnlinePhaseStream.push` per frame through the
  causal MS-TCN (TeCNO, 2 stages x 8 layers); reported as mean, median and
  p95 latency per frame;
- **stream growth**: the causal TCN's step alone for ``growth_frames``
  frames, median latency over ``t`` in [90, 110) and over the last 20
  frames: the state is a ring buffer per layer, so the cost must not grow
  with ``t``. (Medians, as one preempted step on a shared machine would
  dominate a mean of 20.)

Video decoding is not included (the frames are made in memory). Weights are
random (speed does not depend on their values); the checkpoints are written
to a temporary folder and read back through the inferencer, as a user's
would be. Models take turns within each repetition, so a load change on a
shared machine hits all of them alike.
"""
import os.path as osp
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.utils import register_all_modules

from mmdistill.registry import MODELS
from mmdistill.utils import save_checkpoint_file

from .inferencer import PhaseInferencer

PACKAGE = osp.dirname(osp.dirname(osp.abspath(__file__)))
# Installed, the configs ship as mmdistill/.mim/configs; in a checkout they
# sit next to the package.
_MIM_CONFIGS = osp.join(PACKAGE, '.mim', 'configs')
CONFIGS = osp.join(
    _MIM_CONFIGS if osp.isdir(_MIM_CONFIGS) else osp.join(
        osp.dirname(PACKAGE), 'configs'), 'benchmarks')
FRAME_CONFIG = osp.join(CONFIGS, 'phase',
                        'finetune_resnet50_1xb32-coslr-20e_cholec80.py')
OFFLINE_TCN = osp.join(CONFIGS, 'temporal',
                       'mstcn_1xb1-100e_cholec80-features.py')
ONLINE_TCN = osp.join(CONFIGS, 'temporal',
                      'tecno_1xb1-100e_cholec80-features.py')
FEATURE_DIMS = {18: 512, 34: 512, 50: 2048, 101: 2048}
EARLY_T = 100


@dataclass
class SpeedSettings:
    """What to measure.

    Attributes:
        depths: ResNet depths of the frame models.
        size: Frame size in pixels (the prepared 250 px frames).
        offline_frames: Frames per offline measurement.
        online_frames: Frames per online measurement.
        growth_frames: Frames of the stream-growth measurement.
        repeats: Repetitions, models taking turns in each.
        batch_size: Offline frame-model batch.
        device: ``'cpu'`` or ``'cuda'``.
    """
    depths: Sequence[int] = (18, 50)
    size: int = 250
    offline_frames: int = 64
    online_frames: int = 32
    growth_frames: int = 2000
    repeats: int = 3
    batch_size: int = 32
    device: str = 'cpu'


@dataclass
class SpeedResult:
    """Speed of one frame model with its temporal models."""
    model: str
    offline_fps: float  # median over repetitions
    online_mean_ms: float  # over every online frame of every repetition
    online_median_ms: float
    online_p95_ms: float
    step_early_ms: float  # causal TCN step alone, median, t in [90, 110)
    step_late_ms: float  # the same over the last 20 of growth_frames


def _write_config(folder: str, depth: int) -> str:
    path = osp.join(folder, f'resnet{depth}_frame.py')
    with open(path, 'w') as f:
        f.write(f'_base_ = [{FRAME_CONFIG!r}]\n'
                f'model = dict(backbone=dict(depth={depth}, init_cfg=None), '
                f'head=dict(in_channels={FEATURE_DIMS[depth]}))\n')
    return path


def _random_checkpoint(model_cfg: dict, path: str) -> str:
    model = MODELS.build(model_cfg)  # PyTorch's default init
    save_checkpoint_file(dict(state_dict=model.state_dict()), path)
    return path


def _random_tcn(config: str, in_channels: int, path: str) -> str:
    model_cfg = Config.fromfile(config).model
    model_cfg.tcn.in_channels = in_channels
    return _random_checkpoint(model_cfg, path)


def build_inferencers(folder: str, depth: int,
                      settings: SpeedSettings) -> Dict[str, PhaseInferencer]:
    """Offline (MS-TCN) and online (causal TCN) inferencers of a random
    ResNet-``depth`` frame model, checkpoints written into ``folder``."""
    register_all_modules(init_default_scope=False)
    init_default_scope('mmpretrain')
    frame_config = _write_config(folder, depth)
    frame_checkpoint = _random_checkpoint(
        Config.fromfile(frame_config).model,
        osp.join(folder, f'resnet{depth}.pth'))
    inferencers = {}
    for mode, tcn_config in (('offline', OFFLINE_TCN), ('online', ONLINE_TCN)):
        tcn_checkpoint = _random_tcn(
            tcn_config, FEATURE_DIMS[depth],
            osp.join(folder, f'resnet{depth}_{mode}_tcn.pth'))
        inferencers[mode] = PhaseInferencer(
            frame_config,
            frame_checkpoint,
            tcn_config,
            tcn_checkpoint,
            device=settings.device,
            size=(settings.size, settings.size),
            batch_size=settings.batch_size)
    return inferencers


def _frames(count: int, size: int, seed: int = 0) -> List[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [
        rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        for _ in range(count)
    ]


def _timer(device: str) -> Callable[[], float]:
    if torch.device(device).type == 'cuda':

        def now() -> float:
            torch.cuda.synchronize()
            return time.perf_counter()

        return now
    return time.perf_counter


def time_offline(inferencer: PhaseInferencer,
                 frames: List[np.ndarray]) -> float:
    """Frames/s of the frame model in batches, then the TCN, on ``frames``."""
    now = _timer(inferencer.device.type)
    start = now()
    feats, _ = inferencer.frame_features(iter(frames))
    inferencer.temporal_probs(feats)
    return len(frames) / (now() - start)


def time_online(inferencer: PhaseInferencer,
                frames: List[np.ndarray]) -> List[float]:
    """Seconds of each :meth:`OnlinePhaseStream.push` over ``frames``."""
    now = _timer(inferencer.device.type)
    stream = inferencer.stream()
    latencies = []
    for frame in frames:
        start = now()
        stream.push(frame)
        latencies.append(now() - start)
    return latencies


@torch.no_grad()
def time_stream_steps(inferencer: PhaseInferencer,
                      frames: int) -> List[float]:
    """Seconds of each causal TCN step over ``frames`` random features."""
    now = _timer(inferencer.device.type)
    stream = inferencer.tcn.stream()
    generator = torch.Generator().manual_seed(0)
    feats = torch.randn(frames, 1, inferencer.feature_dim,
                        generator=generator).to(inferencer.device)
    latencies = []
    for x in feats:
        start = now()
        stream.step(x)
        latencies.append(now() - start)
    return latencies


def measure_speed(settings: SpeedSettings) -> List[SpeedResult]:
    """Measure every frame model of ``settings``, models taking turns."""
    offline_frames = _frames(settings.offline_frames, settings.size)
    online_frames = _frames(settings.online_frames, settings.size, seed=1)
    with tempfile.TemporaryDirectory() as folder:
        models = {
            depth: build_inferencers(folder, depth, settings)
            for depth in settings.depths
        }
    for pair in models.values():  # warm-up: allocator, kernels, caches
        time_offline(pair['offline'], offline_frames[:settings.batch_size])
        time_online(pair['online'], online_frames[:2])
    offline = {depth: [] for depth in models}
    online = {depth: [] for depth in models}
    steps = {depth: [] for depth in models}
    for _ in range(settings.repeats):
        for depth, pair in models.items():
            offline[depth].append(time_offline(pair['offline'],
                                               offline_frames))
            online[depth] += time_online(pair['online'], online_frames)
            steps[depth].append(
                time_stream_steps(pair['online'], settings.growth_frames))
    results = []
    for depth in models:
        early = [s[EARLY_T - 10:EARLY_T + 10] for s in steps[depth]]
        late = [s[-20:] for s in steps[depth]]
        results.append(
            SpeedResult(
                model=f'ResNet-{depth}',
                offline_fps=float(np.median(offline[depth])),
                online_mean_ms=1e3 * float(np.mean(online[depth])),
                online_median_ms=1e3 * float(np.median(online[depth])),
                online_p95_ms=1e3 * float(np.percentile(online[depth], 95)),
                step_early_ms=1e3 * float(np.median(early)),
                step_late_ms=1e3 * float(np.median(late))))
    return results


def format_table(results: Sequence[SpeedResult],
                 settings: SpeedSettings) -> str:
    """A markdown table of ``results``."""
    late = f't≈{settings.growth_frames}'
    lines = [
        f'| frame model ({settings.size} px) | offline frames/s '
        f'(MS-TCN, batch {settings.batch_size}) | online ms/frame mean '
        f'| median | p95 | TCN step ms (median), t≈{EARLY_T} '
        f'| TCN step ms (median), {late} |',
        '|---|---:|---:|---:|---:|---:|---:|'
    ]
    for r in results:
        lines.append(f'| {r.model} | {r.offline_fps:.1f} | '
                     f'{r.online_mean_ms:.1f} | {r.online_median_ms:.1f} | '
                     f'{r.online_p95_ms:.1f} | '
                     f'{r.step_early_ms:.3f} | {r.step_late_ms:.3f} |')
    return '\n'.join(lines)
