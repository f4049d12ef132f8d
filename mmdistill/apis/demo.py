"""The demo: what distilling from a public model does for surgical SSL, on
the embedded synthetic data, on a CPU, in a few minutes.

Stages, each recorded in ``WORK_DIR/demo_stages.json`` when it finishes, so
an interrupted demo resumes after its last finished stage (the trainings
resume from their last checkpoint, the benchmark from its stage records):

1. ``data``: synthetic surgical videos with Cholec80-format annotations,
   prepared like real data (1 fps frames, margin cut, resize), and one
   held-out video of another seed for inference;
2. ``teacher``: SPT on the real EfficientNet-Lite0 (frozen ImageNet
   weights, MoCo v2 head), exported as the teacher;
3. ``mocov2``: the plain MoCo v2 ResNet-18 student;
4. ``dsl-mocov2``: the distilled one, same seed, data and schedule;
5. ``benchmark``: both students in :mod:`.phase_benchmark` (linear probe,
   features, TeCNO, test) at two label fractions, with its statistics;
6. ``inference``: :class:`.PhaseInferencer` (frame model and TeCNO of the
   distilled student at all labels) on the held-out video: phase file,
   ribbon and overlay video.

The console gets one line per stage and the results table; every stage's
output (mmengine logs, config dumps, warnings) goes to
``WORK_DIR/logs/<stage>.log``. The paper trains for 200 epochs on 40 real
videos; the demo's two epochs on six synthetic ones show the pipeline, not
the paper's numbers.
"""
import contextlib
import json
import os
import os.path as osp
import sys
import time
from typing import Callable, Dict, Iterator, List, Sequence, TextIO, Tuple

from mmdistill.utils.fileio import write_text_atomic

SPT_CONFIG = 'configs/spt/spt_efficientnet-lite0_in1k-sup_1xb16-coslr-2e_synthetic.py'
STUDENT_CONFIGS = {
    'mocov2': 'configs/mocov2/mocov2_resnet18_1xb16-coslr-2e_synthetic.py',
    'dsl-mocov2': 'configs/dsl/dsl-mocov2_resnet18_1xb16-coslr-2e_synthetic.py',
}
FRAME_CONFIG = 'configs/benchmarks/phase/linear_resnet18_1xb16-coslr-2e_synthetic.py'
TEMPORAL_CONFIG = 'configs/benchmarks/temporal/tecno_1xb1-10e_synthetic-features.py'
FRACTIONS = (1.0, 0.5)
SEEDS_PER_FRACTION = 2
HELD_OUT_SEED = 7
#: Seconds each stage took on 2 cores; the "left" estimate scales them by
#: how fast the finished stages went on this machine.
STAGE_SECONDS = {
    'data': 10.,
    'teacher': 17.,
    'mocov2': 19.,
    'dsl-mocov2': 22.,
    'benchmark': 220.,
    'inference': 2.,
}
RECORD_FILE = 'demo_stages.json'


def clock(seconds: float) -> str:
    """``m:ss``."""
    seconds = int(round(seconds))
    return f'{seconds // 60}:{seconds % 60:02d}'


def remaining(done: Dict[str, float], names: Sequence[str]) -> float:
    """Seconds the stages of ``names`` not in ``done`` should take, the
    weights scaled by the pace of the stages run so far."""
    pace = (sum(done.values()) / sum(STAGE_SECONDS[n] for n in done)
            if done else 1.)
    return pace * sum(STAGE_SECONDS[n] for n in names if n not in done)


@contextlib.contextmanager
def output_to(path: str) -> Iterator[None]:
    """Send everything written to stdout and stderr (Python and native:
    logs, warnings, progress bars) to ``path`` for the block."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, 'a') as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


class Stages:
    """Runs named stages once, printing ``[stage k/N] name ... elapsed,
    left`` lines to ``console``; finished ones are read back from
    ``WORK_DIR/demo_stages.json``."""

    def __init__(self, work_dir: str, names: Sequence[str],
                 console: TextIO) -> None:
        self.work_dir = work_dir
        self.names = list(names)
        self.console = console
        self.path = osp.join(work_dir, RECORD_FILE)
        self.record: Dict[str, dict] = {}
        if osp.isfile(self.path):
            with open(self.path) as f:
                self.record = json.load(f)
        self.start = time.monotonic()

    def durations(self) -> Dict[str, float]:
        return {n: r['seconds'] for n, r in self.record.items()}

    def run(self, name: str, body: Callable[[], dict]) -> dict:
        """``body()``'s outputs (JSON-able), from the record if finished."""
        k = self.names.index(name) + 1
        head = f'[stage {k}/{len(self.names)}] {name}'
        if name in self.record:
            print(f'{head} ... done before, skipped', file=self.console,
                  flush=True)
            return self.record[name]['outputs']
        left = remaining(self.durations(), self.names)
        print(f'{head} ... (~{clock(left)} left)', file=self.console,
              flush=True)
        began = time.monotonic()
        log = osp.join(self.work_dir, 'logs', f'{name}.log')
        os.makedirs(osp.dirname(log), exist_ok=True)
        with output_to(log):
            outputs = body()
        self.record[name] = dict(
            seconds=time.monotonic() - began, outputs=outputs)
        write_text_atomic(self.path, json.dumps(self.record, indent=2))
        left = remaining(self.durations(), self.names)
        print(f'{head} done in {clock(self.record[name]["seconds"])}, '
              f'elapsed {clock(time.monotonic() - self.start)}, '
              f'~{clock(left)} left', file=self.console, flush=True)
        return outputs


def data_stage(raw_dir: str, data_root: str, held_out_dir: str) -> dict:
    """Synthetic videos, prepared; one held-out video of another seed."""
    from mmdistill.datasets import (PrepareOptions,
                                    generate_synthetic_dataset,
                                    prepare_dataset)
    generate_synthetic_dataset(raw_dir)
    prepare_dataset(raw_dir, data_root, 'cholec80',
                    PrepareOptions(size=(128, 128)), workers=2,
                    progress=False)
    generate_synthetic_dataset(
        held_out_dir, num_videos=1, seconds=(60., 60.), seed=HELD_OUT_SEED)
    return dict(
        data_root=data_root,
        held_out_video=osp.join(held_out_dir, 'videos', 'video01.mp4'))


def train(root: str, config: str, work_dir: str, options: dict) -> str:
    """Train (or resume) ``config``; its last checkpoint."""
    from mmengine.config import Config
    from .runner import build_runner
    cfg = Config.fromfile(osp.join(root, config))
    cfg.merge_from_dict(options)
    cfg.log_level = 'INFO'
    resume = osp.isfile(osp.join(work_dir, 'last_checkpoint'))
    runner = build_runner(
        cfg, work_dir=work_dir, resume=resume, unique_name=True)
    runner.train()
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def teacher_stage(root: str, work_dir: str, data_root: str) -> dict:
    from mmdistill.models.pretrained import export_teacher
    spt_dir = osp.join(work_dir, 'spt')
    checkpoint = train(root, SPT_CONFIG, spt_dir, {
        'train_dataloader.dataset.data_root': data_root})
    teacher = osp.join(spt_dir, 'teacher.pth')
    export_teacher(checkpoint, teacher)
    return dict(teacher=teacher)


def student_stage(root: str, work_dir: str, method: str, data_root: str,
                  teacher: str) -> dict:
    options = {'train_dataloader.dataset.data_root': data_root}
    if method.startswith('dsl'):
        options['model.teacher.checkpoint'] = teacher
    checkpoint = train(root, STUDENT_CONFIGS[method],
                       osp.join(work_dir, method), options)
    return dict(checkpoint=checkpoint)


def benchmark_settings(root: str, work_dir: str, data_root: str):
    from .phase_benchmark import Settings
    return Settings(
        work_dir=work_dir,
        frame_config=osp.join(root, FRAME_CONFIG),
        temporal_config=osp.join(root, TEMPORAL_CONFIG),
        data_root=data_root)


def benchmark_stage(root: str, work_dir: str, data_root: str,
                    checkpoints: Dict[str, str]) -> dict:
    from .phase_benchmark import run_benchmark
    from .runs import plan_runs
    runs = plan_runs(checkpoints, list(FRACTIONS), SEEDS_PER_FRACTION)
    report = run_benchmark(benchmark_settings(root, work_dir, data_root),
                           runs)
    full = [r for r in runs
            if r.method == 'dsl-mocov2' and r.fraction == 1.0][0]
    run_dir = osp.join(work_dir, 'runs', full.key)
    models = {}
    for stage in ('frame', 'temporal'):
        with open(osp.join(run_dir, stage, 'done.json')) as f:
            models[stage] = json.load(f)['outputs']['checkpoint_path']
    return dict(report=report, **models)


def inference_stage(root: str, work_dir: str, data_root: str, video: str,
                    frame: str, temporal: str) -> dict:
    from .inferencer import PhaseInferencer
    inferencer = PhaseInferencer(
        osp.join(root, FRAME_CONFIG), frame,
        osp.join(root, TEMPORAL_CONFIG), temporal,
        data_root=data_root)
    prediction = inferencer(video)
    paths = inferencer.save(prediction, osp.join(work_dir, 'inference'),
                            overlay=True)
    return dict(summary=prediction.summary(), **paths)


def results_tables(report: str) -> str:
    """The official and strict results tables of the benchmark report (the
    protocol card and paired comparisons stay in the file)."""
    with open(report) as f:
        text = f.read()
    sections = text.split('\n## ')
    keep = [s for s in sections[1:]
            if s.startswith(('Official metrics', 'Strict metrics'))]
    return '\n'.join('## ' + s.rstrip() + '\n' for s in keep)


def run_demo(root: str,
             work_dir: str,
             data_root: str,
             raw_dir: str,
             console: TextIO = sys.stdout) -> Tuple[str, List[str]]:
    """Run (or resume) the demo; the report's path and the files written.

    Args:
        root: The repository (or installed package) holding ``configs/``.
        work_dir: Output folder (absolute).
        data_root: Prepared synthetic data (absolute).
        raw_dir: Raw synthetic videos (absolute).
        console: Where the stage lines and the results go.
    """
    os.makedirs(work_dir, exist_ok=True)
    stages = Stages(work_dir, list(STAGE_SECONDS), console)
    data = stages.run('data', lambda: data_stage(
        raw_dir, data_root, osp.join(work_dir, 'held_out')))
    teacher = stages.run('teacher', lambda: teacher_stage(
        root, work_dir, data_root))['teacher']
    checkpoints = {
        method: stages.run(method, lambda m=method: student_stage(
            root, work_dir, m, data_root, teacher))['checkpoint']
        for method in STUDENT_CONFIGS
    }
    bench = stages.run('benchmark', lambda: benchmark_stage(
        root, work_dir, data_root, checkpoints))
    inferred = stages.run('inference', lambda: inference_stage(
        root, work_dir, data_root, data['held_out_video'], bench['frame'],
        bench['temporal']))
    files = [bench['report'], osp.join(work_dir, 'label_efficiency.png'),
             osp.join(work_dir, 'ribbons')] + [
                 v for k, v in inferred.items() if k != 'summary']
    total = sum(stages.durations().values())
    print(f'\nDemo finished: stages took {clock(total)} in all.\n',
          file=console)
    print(results_tables(bench['report']), file=console)
    print('inference on a held-out video: ' + inferred['summary'],
          file=console)
    print('wrote:\n' + '\n'.join(f'  {path}' for path in files),
          file=console, flush=True)
    return bench['report'], files
