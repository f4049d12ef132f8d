"""Train-step speed, peak memory and data-pipeline throughput of configs.

    python tools/analysis/train_speed.py CONFIG [CONFIG ...] \\
        [--device cpu|cuda] [--amp] [--channels-last] [--batch-size B] \\
        [--image-size S] [--warmup W] [--iters N] [--data-workers 0 2 ...] \\
        [--data-batches N] [--random-teacher] [--cfg-options K=V ...] \\
        [--pipeline-frames N] [--pipeline-rounds R] [--no-memory] \\
        [--out results.json]

Model step: each config's model (``MODELS.build(cfg.model)``) and optimizer
wrapper (``build_optim_wrapper``; ``AmpOptimWrapper`` with ``--amp``) run
``model.train_step`` -- data preprocessor, forward, loss, backward, optimizer
step, exactly what the Runner's train loop calls -- on a fixed batch of two
random uint8 views of ``B x 3 x S x S``. After ``--warmup`` steps per config,
the configs take turns (A B C A B C ...) for ``--iters`` rounds, so a load
change on a shared machine hits all of them alike. Reported: the median step
time and images/s = B / median (an image is one sample; its two views count
once).

Peak memory: measured in a fresh process per config
(``python -m mmdistill.apis.train_speed PROBE_CONFIG ...``, two steps),
because several models share the timing process. On GPU it is ``torch.cuda.max_memory_allocated``; on CPU
the peak resident set size (Linux ``VmHWM``, reset once the imports are done)
minus the resident size at that point: what the model, its optimizer state
and a training step add to the process.

Data pipeline: ``cfg.train_dataloader`` built with ``Runner.build_dataloader``
(an ``InfiniteSampler`` so workers never restart) for each ``--data-workers``
value; images/s over ``--data-batches`` batches after ``--warmup`` batches,
which absorb the worker start-up. Configs with the same dataloader share one
measurement.

CPU pipeline and preprocessor (``--pipeline-frames N``): N synthetic 250 x
250 JPEG frames (:func:`mmdistill.datasets.synthetic.render_frames`, written
as the preparation writes them) go through each config's
``train_dataloader.dataset.pipeline`` in this process (no workers, OpenCV
and torch on one thread), the configs taking turns for
``--pipeline-rounds`` rounds; images/s per core is frames over the process
CPU time (median round). Then the config's data preprocessor runs on a
collated batch of those views (``training=True``, as in the train step),
interleaved likewise: its ms per batch on ``--device``. For the old
pipelines that is normalisation only; for ``SSLViewAugPreprocessor`` it
includes the view augmentations the old pipelines do in the workers.

Distilled configs whose teacher checkpoint is missing (or all of them, with
``--random-teacher``) get a teacher with random weights, saved to a temporary
checkpoint and loaded through the normal path: speed does not depend on the
weights. Prints markdown tables with ratios against the first config;
``--out`` writes the same as JSON (to a temporary name, then renamed).
"""
import argparse
import copy
import json
import os
import os.path as osp
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence

import cv2
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.dataset import default_collate
from mmengine.runner import Runner
from mmpretrain.structures import DataSample

from mmdistill.datasets import SurgicalDataError
from mmdistill.datasets.synthetic import render_frames
from mmdistill.utils import write_text_atomic
from mmdistill.registry import MODELS
from mmdistill.utils import enable_amp, save_checkpoint_file

NUM_VIEWS = 2
# A model's memory peaks in its second step, the first one that holds the
# optimizer state (created by the first step) and a step's activations.
MEMORY_PROBE_STEPS = 2
MIB = 2**20


def config_name(path: str) -> str:
    return osp.splitext(osp.basename(path))[0]


def batch_size_of(cfg: Config, args: argparse.Namespace) -> int:
    if args.batch_size:
        return args.batch_size
    loader = cfg.get('train_dataloader')
    if loader is None or 'batch_size' not in loader:
        raise SystemExit(
            f'error: {cfg.filename} has no train_dataloader.batch_size; '
            f'pass --batch-size')
    return loader.batch_size


def save_random_teacher(teacher: dict, path: str) -> None:
    """Save an untrained checkpoint for the ``FrozenTeacher`` config
    ``teacher``, laid out as an SPT export (``backbone``, ``neck`` and its
    momentum copy). Weights are PyTorch's default initialisation; the
    backbone's ``init_cfg`` (e.g. a download) is not applied."""
    torch.manual_seed(0)
    parts = dict(backbone=MODELS.build(teacher['backbone']))
    if teacher.get('neck') is not None:
        parts['neck'] = parts['momentum_neck'] = MODELS.build(teacher['neck'])
    state = {
        f'{part}.{key}': value
        for part, module in parts.items()
        for key, value in module.state_dict().items()
    }
    save_checkpoint_file(dict(state_dict=state), path)


def load_config(path: str, args: argparse.Namespace, tmp_dir: str) -> Config:
    """The config with ``--cfg-options``, ``--amp`` and, where needed, a
    random teacher checkpoint in ``tmp_dir`` applied."""
    cfg = Config.fromfile(path)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.amp:
        enable_amp(cfg)
    teachers = ([cfg.model.teacher] if cfg.model.get('teacher') else
                cfg.model.get('teachers') or [])
    for index, teacher in enumerate(teachers):
        found = osp.isfile(teacher.get('checkpoint') or '')
        if args.random_teacher or not found:
            checkpoint = osp.join(tmp_dir,
                                  f'{config_name(path)}_teacher{index}.pth')
            save_random_teacher(teacher, checkpoint)
            print(f'{config_name(path)}: random teacher weights (checkpoint '
                  f'{teacher.get("checkpoint")!r} '
                  f'{"ignored" if found else "not found"})')
            teacher.checkpoint = checkpoint
    return cfg


def synthetic_batch(batch_size: int, image_size: int,
                    channels_last: bool) -> dict:
    """Two uint8 views as a dataloader delivers them (on the CPU)."""
    generator = torch.Generator().manual_seed(0)
    memory_format = (
        torch.channels_last if channels_last else torch.contiguous_format)
    views = [
        torch.randint(
            0, 256, (batch_size, 3, image_size, image_size),
            dtype=torch.uint8,
            generator=generator).contiguous(memory_format=memory_format)
        for _ in range(NUM_VIEWS)
    ]
    return dict(
        inputs=views, data_samples=[DataSample() for _ in range(batch_size)])


class TrainStep:
    """One config's model, optimizer wrapper and fixed input batch; calling
    it runs one training step and returns its wall time in seconds."""

    def __init__(self, cfg: Config, batch_size: int, image_size: int,
                 device: str, channels_last: bool) -> None:
        torch.manual_seed(0)
        self.device = torch.device(device)
        model = MODELS.build(cfg.model).to(self.device)
        if channels_last:
            model.to(memory_format=torch.channels_last)
        self.model = model.train()
        self.optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        self.data = synthetic_batch(batch_size, image_size, channels_last)
        # Momentum schedules (BYOL's CosineEMA) read the run length from the
        # message hub, as under the Runner.
        MessageHub.get_current_instance().update_info('max_iters', 10**6)

    def _synchronize(self) -> None:
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)

    def __call__(self) -> float:
        self._synchronize()
        start = time.perf_counter()
        self.model.train_step(self.data, self.optim_wrapper)
        self._synchronize()
        return time.perf_counter() - start


def time_interleaved(steps: Dict[str, TrainStep], warmup: int,
                     iters: int) -> Dict[str, List[float]]:
    """Step times per config: ``warmup`` untimed steps each, then ``iters``
    rounds in which every config steps once, in order."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    times: Dict[str, List[float]] = {name: [] for name in steps}
    for _ in range(iters):
        for name, step in steps.items():
            times[name].append(step())
    return times


def _proc_status_mib(field: str) -> float:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(f'{field}:'):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f'/proc/self/status has no {field}')


def reset_peak_rss() -> float:
    """Reset this process's peak resident set size (``VmHWM``) to its
    current size and return that, in MiB (Linux only).

    ``ru_maxrss`` cannot be reset and already holds the transient peak of
    the imports, which a small model never exceeds.
    """
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError as err:
        raise RuntimeError(
            f'peak CPU memory needs Linux (/proc/self/clear_refs): {err}'
        ) from err
    return _proc_status_mib('VmRSS')


def memory_probe(args: argparse.Namespace) -> None:
    """Child process: peak memory of one (already prepared) config, printed
    as the last line of stdout in JSON."""
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    on_gpu = args.device == 'cuda'
    if on_gpu:
        torch.cuda.reset_peak_memory_stats()
    baseline = 0. if on_gpu else reset_peak_rss()
    step = TrainStep(cfg, batch_size_of(cfg, args), args.image_size,
                     args.device, args.channels_last)
    for _ in range(MEMORY_PROBE_STEPS):
        step()
    peak = (torch.cuda.max_memory_allocated() / MIB
            if on_gpu else _proc_status_mib('VmHWM') - baseline)
    print(json.dumps(dict(peak_memory_mib=peak)))


def peak_memory_mib(cfg: Config, args: argparse.Namespace,
                    tmp_dir: str) -> float:
    """Run :func:`memory_probe` for ``cfg`` in a fresh Python process."""
    path = osp.join(tmp_dir, f'{config_name(cfg.filename)}_probe.py')
    cfg.dump(path)
    command = [
        sys.executable, '-m', __name__, path, '--device', args.device,
        '--batch-size', str(batch_size_of(cfg, args)),
        '--image-size', str(args.image_size)
    ] + ['--channels-last'] * args.channels_last
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(
            f'memory probe of {cfg.filename} failed:\n{result.stderr[-3000:]}')
    return json.loads(result.stdout.strip().splitlines()[-1])[
        'peak_memory_mib']


def data_images_per_second(loader_cfg: dict, num_workers: int,
                           batch_size: int, warmup: int,
                           batches: int) -> float:
    """Samples per second delivered by the dataloader ``loader_cfg``."""
    loader_cfg = copy.deepcopy(loader_cfg)
    loader_cfg.update(
        batch_size=batch_size,
        num_workers=num_workers,
        persistent_workers=False,
        sampler=dict(type='InfiniteSampler', shuffle=True))
    batch_iter = iter(Runner.build_dataloader(loader_cfg, seed=0))
    for _ in range(warmup):
        next(batch_iter)
    start = time.perf_counter()
    for _ in range(batches):
        next(batch_iter)
    return batches * batch_size / (time.perf_counter() - start)


def missing_data_root(loader_cfg: dict) -> Optional[str]:
    root = loader_cfg.get('dataset', {}).get('data_root')
    return root if root and not osp.isdir(root) else None


def benchmark_data(cfgs: Dict[str, Config],
                   args: argparse.Namespace) -> List[dict]:
    """Data-pipeline rows, one per distinct dataloader and worker count."""
    rows: List[dict] = []
    seen: Dict[str, str] = {}
    if not args.data_workers:
        return rows
    for name, cfg in cfgs.items():
        loader_cfg = cfg.get('train_dataloader')
        if loader_cfg is None:
            print(f'{name}: no train_dataloader, data pipeline skipped')
            continue
        key = json.dumps(loader_cfg.to_dict(), sort_keys=True, default=str)
        if key in seen:
            print(f'{name}: same train_dataloader as {seen[key]}')
            continue
        seen[key] = name
        root = missing_data_root(loader_cfg)
        if root:
            print(f'{name}: data pipeline skipped, dataset root {root!r} does '
                  f'not exist. Prepare the dataset there, or make synthetic '
                  f'frames (tools/data/generate_synthetic.py RAW, then '
                  f'tools/data/prepare_phase_dataset.py --dataset cholec80 '
                  f'RAW ROOT) and pass --cfg-options '
                  f'train_dataloader.dataset.data_root=ROOT '
                  f'train_dataloader.dataset.split_scheme=synthetic')
            continue
        for workers in args.data_workers:
            try:
                speed = data_images_per_second(loader_cfg, workers,
                                               batch_size_of(cfg, args),
                                               args.warmup, args.data_batches)
            except (FileNotFoundError, SurgicalDataError) as err:
                print(f'{name}: data pipeline skipped: {err}')
                break
            rows.append(dict(config=name, workers=workers, images_per_s=speed))
    return rows


def write_frames(num: int, out_dir: str) -> List[str]:
    """``num`` synthetic 250 x 250 frames as JPEGs (quality 95)."""
    paths = []
    for i, frame in enumerate(render_frames(num)):
        path = osp.join(out_dir, f'{i + 1:08d}.jpg')
        cv2.imwrite(path, frame, [cv2.IMWRITE_JPEG_QUALITY, 95])
        paths.append(path)
    return paths


class PipelineBench:
    """One config's CPU pipeline and data preprocessor on fixed frames."""

    def __init__(self, cfg: Config, paths: List[str], batch_size: int,
                 device: str) -> None:
        self.transforms = Compose(cfg.train_dataloader.dataset.pipeline)
        self.paths = paths
        self.batch_size = min(batch_size, len(paths))
        self.device = torch.device(device)
        self.preprocessor = MODELS.build(cfg.model.data_preprocessor).to(
            self.device)
        self.batch = None

    def run_pipeline(self) -> float:
        """CPU seconds of all frames through the pipeline; keeps the first
        ``batch_size`` results as the preprocessor's batch."""
        start = time.process_time()
        results = [
            self.transforms(dict(img_path=path, sample_idx=i))
            for i, path in enumerate(self.paths)
        ]
        seconds = time.process_time() - start
        self.batch = default_collate(results[:self.batch_size])
        return seconds

    def run_preprocessor(self) -> float:
        """Wall seconds of one training-mode preprocessor call."""
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
        start = time.perf_counter()
        self.preprocessor(self.batch, training=True)
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
        return time.perf_counter() - start


def benchmark_pipelines(cfgs: Dict[str, Config], args: argparse.Namespace,
                        tmp_dir: str) -> List[dict]:
    """Per config: CPU-pipeline images/s per core and preprocessor ms per
    batch, each the median of interleaved rounds, on one thread."""
    if not args.pipeline_frames:
        return []
    cv2.setNumThreads(1)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    paths = write_frames(args.pipeline_frames, tmp_dir)
    benches = {
        name: PipelineBench(cfg, paths, batch_size_of(cfg, args),
                            args.device)
        for name, cfg in cfgs.items()
    }
    cpu: Dict[str, List[float]] = {name: [] for name in benches}
    pre: Dict[str, List[float]] = {name: [] for name in benches}
    for bench in benches.values():
        bench.run_pipeline()
        bench.run_preprocessor()
    for _ in range(args.pipeline_rounds):
        for name, bench in benches.items():
            cpu[name].append(bench.run_pipeline())
            pre[name].append(bench.run_preprocessor())
    torch.set_num_threads(threads)
    rows = []
    for name, bench in benches.items():
        cpu_ms = 1000 * statistics.median(cpu[name]) / len(paths)
        pre_ms = 1000 * statistics.median(pre[name])
        rows.append(
            dict(
                config=name,
                pipeline_cpu_ms_per_image=cpu_ms,
                pipeline_images_per_s_per_core=1000 / cpu_ms,
                preprocessor_ms_per_batch=pre_ms,
                preprocessor_batch=bench.batch_size,
                preprocessor_ms_per_image=pre_ms / bench.batch_size,
                total_ms_per_image=cpu_ms + pre_ms / bench.batch_size))
    return rows


def environment(device: str) -> dict:
    cpu = platform.processor() or platform.machine()
    if osp.isfile('/proc/cpuinfo'):
        with open('/proc/cpuinfo') as f:
            names = [
                line.split(':', 1)[1].strip() for line in f
                if line.startswith('model name')
            ]
        cpu = names[0] if names else cpu
    env = dict(
        cpu=cpu,
        cpu_count=os.cpu_count(),
        torch_threads=torch.get_num_threads(),
        torch=torch.__version__)
    if device == 'cuda':
        env['gpu'] = torch.cuda.get_device_name()
    return env


def model_rows(times: Dict[str, List[float]], memory: Dict[str, float],
               batch_size: Dict[str, int]) -> List[dict]:
    rows = []
    for name, samples in times.items():
        median = statistics.median(samples)
        rows.append(
            dict(
                config=name,
                step_ms=1000 * median,
                step_ms_min=1000 * min(samples),
                step_ms_max=1000 * max(samples),
                images_per_s=batch_size[name] / median,
                peak_memory_mib=memory[name]))
    first = rows[0]
    for row in rows:
        for field in ('step_ms', 'images_per_s', 'peak_memory_mib'):
            row[f'{field}_ratio'] = row[field] / first[field]
    return rows


def format_tables(rows: List[dict], data_rows: List[dict],
                  memory_kind: str, pipeline_rows: List[dict]) -> str:
    lines = [] if not rows else [
        f'| config | step ms (median) | min-max ms | images/s | '
        f'{memory_kind} MiB | step x | images/s x | memory x |',
        '|---|---:|---:|---:|---:|---:|---:|---:|',
    ]
    for r in rows:
        lines.append(
            f'| {r["config"]} | {r["step_ms"]:.0f} | {r["step_ms_min"]:.0f}-'
            f'{r["step_ms_max"]:.0f} | {r["images_per_s"]:.1f} | '
            f'{r["peak_memory_mib"]:.0f} | {r["step_ms_ratio"]:.2f} | '
            f'{r["images_per_s_ratio"]:.2f} | '
            f'{r["peak_memory_mib_ratio"]:.2f} |')
    if pipeline_rows:
        lines += [
            '', '| CPU pipeline + preprocessor of | pipeline ms/image (CPU) | '
            'images/s per core | preprocessor ms/batch | batch | '
            'preprocessor ms/image | total ms/image |',
            '|---|---:|---:|---:|---:|---:|---:|'
        ]
        lines += [
            f'| {r["config"]} | {r["pipeline_cpu_ms_per_image"]:.2f} | '
            f'{r["pipeline_images_per_s_per_core"]:.0f} | '
            f'{r["preprocessor_ms_per_batch"]:.1f} | '
            f'{r["preprocessor_batch"]} | '
            f'{r["preprocessor_ms_per_image"]:.2f} | '
            f'{r["total_ms_per_image"]:.2f} |' for r in pipeline_rows
        ]
    if data_rows:
        lines += [
            '', '| data pipeline of | workers | images/s |', '|---|---:|---:|'
        ]
        lines += [
            f'| {r["config"]} | {r["workers"]} | {r["images_per_s"]:.1f} |'
            for r in data_rows
        ]
    return '\n'.join(lines)


def run(args: argparse.Namespace, tmp_dir: str) -> dict:
    cfgs: Dict[str, Config] = {}
    for path in args.configs:
        name = config_name(path)
        if name in cfgs:
            raise SystemExit(f'error: {path}: config {name} given twice')
        cfgs[name] = load_config(path, args, tmp_dir)
    batch_size = {name: batch_size_of(cfg, args) for name, cfg in cfgs.items()}

    models: List[dict] = []
    if not args.skip_steps:
        memory = {
            name: (float('nan') if args.no_memory else peak_memory_mib(
                cfg, args, tmp_dir))
            for name, cfg in cfgs.items()
        }
        steps = {
            name: TrainStep(cfg, batch_size[name], args.image_size,
                            args.device, args.channels_last)
            for name, cfg in cfgs.items()
        }
        times = time_interleaved(steps, args.warmup, args.iters)
        del steps  # free the models before the dataloader workers fork
        models = model_rows(times, memory, batch_size)
    return dict(
        environment=environment(args.device),
        settings=dict(
            device=args.device,
            amp=args.amp,
            channels_last=args.channels_last,
            batch_size=batch_size,
            image_size=args.image_size,
            warmup=args.warmup,
            iters=args.iters,
            data_batches=args.data_batches,
            pipeline_frames=args.pipeline_frames,
            pipeline_rounds=args.pipeline_rounds,
            cfg_options=args.cfg_options),
        models=models,
        pipelines=benchmark_pipelines(cfgs, args, tmp_dir),
        data=benchmark_data(cfgs, args))


def measure_and_report(args: argparse.Namespace) -> dict:
    """Measure the configs of ``args`` (the options of
    ``tools/analysis/train_speed.py``), print the tables and write ``--out``.

    Returns:
        The results, as written to ``--out``.
    """
    with tempfile.TemporaryDirectory(prefix='train_speed_') as tmp_dir:
        results = run(args, tmp_dir)
    memory_kind = ('CUDA max allocated' if args.device == 'cuda' else
                   'peak RSS increase')
    env = results['environment']
    print(f'\n{env["cpu"]} ({env["cpu_count"]} cores, torch '
          f'{env["torch"]} with {env["torch_threads"]} threads'
          f'{", " + env["gpu"] if "gpu" in env else ""}); device '
          f'{args.device}, amp {args.amp}, channels-last '
          f'{args.channels_last}, {args.image_size} px, warmup '
          f'{args.warmup}, {args.iters} timed steps per config\n')
    print(
        format_tables(results['models'], results['data'], memory_kind,
                      results['pipelines']))
    if args.out:
        write_text_atomic(args.out, json.dumps(results, indent=2))
        print(f'\nresults written to {args.out}')

    return results


def _probe_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Options of the memory-probe child, set by :func:`peak_memory_mib`."""
    parser = argparse.ArgumentParser(
        description='Peak memory of one prepared config (internal)')
    parser.add_argument('config')
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--batch-size', type=int, required=True)
    parser.add_argument('--image-size', type=int, required=True)
    parser.add_argument('--channels-last', action='store_true')
    return parser.parse_args(argv)


if __name__ == '__main__':
    memory_probe(_probe_args())
