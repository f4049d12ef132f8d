"""Compare SSL checkpoints on surgical phase recognition, in one command.

    python tools/benchmark_phase.py \\
        --checkpoints mocov2=work_dirs/mocov2/backbone.pth \\
                      dsl-mocov2=work_dirs/dsl-mocov2/backbone.pth \\
        --fractions 1.0 0.25 0.125 --splits-per-fraction 3 \\
        [--probe {finetune,linear} | --frame-config CONFIG] \\
        [--temporal-config CONFIG | --no-temporal] [--data-root DIR] \\
        [--frame-cfg-options k=v ...] [--temporal-cfg-options k=v ...] \\
        [--work-dir work_dirs/benchmark_phase]

A checkpoint is an SSL checkpoint (its ``backbone.*`` weights are used), a
backbone-only file (``tools/model_converters/extract_backbone.py``) or any
layout mmdistill's ``Pretrained`` initializer reads. For every checkpoint,
label fraction and fixed low-data split (a "run") the benchmark

1. fine-tunes or linear-probes the backbone on the labelled frames with the
   frame config (the checkpoint goes to ``model.backbone.init_cfg.checkpoint``,
   the fraction and split to the training dataset's ``fraction`` and
   ``split_seed``) and keeps the best checkpoint on the validation split, or
   the last one when the config has no validation;
2. extracts per-frame features of the run's labelled training videos and of
   the validation and test videos with it (``tools/extract_features.py``);
3. trains the temporal model on them, selected on validation the same way;
4. tests it: official-format predictions, ribbons and ``results.json``
   (official and strict metrics).

The defaults are Cholec80 fine-tuning (``--probe``) and TeCNO. With
``--no-temporal``, step 4 tests the frame model, steps 2-3 are left out and
the report is ``results_frame.md``. A fraction of 1.0 uses every training
video and runs once; a smaller one runs splits 0..N-1, the same video
subsets for every checkpoint. Finally ``WORK_DIR/results.md`` gets one row
per checkpoint and fraction (mean ± sample standard deviation over the
splits) for the official and for the strict metrics, the videos of each
low-data split, and the ribbon of the first test video of each checkpoint
(copied to ``WORK_DIR/ribbons/``).

The stages run in this process (on one GPU if there is one) through
mmengine's Runner, configured as ``tools/train.py`` / ``tools/test.py``
configure it: a Python start costs more than a whole stage on the synthetic
data. Each stage has a directory
``WORK_DIR/runs/<name>/<percent>pct/split<k>/<stage>/`` with its logs, a
``stage.json`` (its inputs) and, once finished, a ``done.json``. A rerun
skips finished stages, resumes an interrupted training from its last
checkpoint and refuses a directory whose recorded inputs differ. A failed
stage stops the benchmark naming the stage and its log file.
"""
import argparse
import gc
import glob
import hashlib
import importlib.util
import itertools
import json
import os
import os.path as osp
import re
import shutil
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence

from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmdistill.evaluation.label_files import atomic_write_text
from mmdistill.utils import set_dataloader_defaults

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PROBE_CONFIGS = {
    probe: f'configs/benchmarks/phase/{name}_cholec80.py'
    for probe, name in (('finetune', 'finetune_resnet50_1xb32-coslr-20e'),
                        ('linear', 'linear_resnet50_1xb64-coslr-20e'))
}
TEMPORAL_CONFIG = ('configs/benchmarks/temporal/'
                   'tecno_1xb1-100e_cholec80-features.py')
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
TABLES = {
    'official': ('Official metrics',
                 'Relaxed 10 s phase boundaries, as the Cholec80/M2CAI16 '
                 'MATLAB script; within a split, accuracy is averaged over '
                 'the test videos, precision, recall and Jaccard over phases.',
                 ('accuracy', 'precision', 'recall', 'jaccard')),
    'strict': ('Strict metrics',
               'No relaxation (Funke et al. 2023); within a split, per video '
               'macro averages over phases, then the mean over test videos.',
               ('accuracy', 'precision', 'recall', 'jaccard', 'f1')),
}
NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9._+-]*')
_INSTANCE_IDS = itertools.count()


class BenchmarkError(RuntimeError):
    """The benchmark cannot go on; the message says why and what to do."""


class StageError(BenchmarkError):
    """A stage of a run failed; the message names the stage and its log."""


@dataclass(frozen=True)
class Run:
    """One checkpoint fine-tuned on one label fraction and split."""
    method: str
    checkpoint: str
    fraction: float
    split: int

    @property
    def key(self) -> str:
        return f'{self.method}/{percent(self.fraction)}pct/split{self.split}'


@dataclass
class Settings:
    """What every run shares (absolute paths)."""
    work_dir: str
    frame_config: str
    temporal_config: Optional[str]
    frame_options: dict = field(default_factory=dict)
    temporal_options: dict = field(default_factory=dict)
    data_root: Optional[str] = None

    @property
    def suffix(self) -> str:
        """``'_frame'`` on the report and ribbon folder of frame-level
        results, so one work dir holds both kinds, sharing frame stages."""
        return '' if self.temporal_config else '_frame'


def percent(fraction: float) -> str:
    """``0.125`` -> ``'12.5'``."""
    return f'{fraction * 100:g}'


def parse_checkpoints(items: Sequence[str]) -> Dict[str, str]:
    """``NAME=PATH`` pairs as ``{name: path}``, local paths made absolute.

    Raises:
        ValueError: For a malformed or repeated name, or a local file that
            does not exist (URLs such as ``torchvision://`` are not checked).
    """
    checkpoints: Dict[str, str] = {}
    for item in items:
        name, sep, path = item.partition('=')
        if not sep or not NAME.fullmatch(name) or not path:
            raise ValueError(
                f'--checkpoints {item!r}: expected NAME=PATH with a NAME of '
                'letters, digits, ".", "_", "+", "-" (it names the table row '
                'and a directory), e.g. dsl-mocov2=work_dirs/dsl/backbone.pth')
        if name in checkpoints:
            raise ValueError(f'--checkpoints: name {name!r} is given twice')
        if '://' not in path:
            if not osp.isfile(path):
                raise ValueError(f'--checkpoints {item!r}: no file {path}')
            path = osp.abspath(path)
        checkpoints[name] = path
    return checkpoints


def plan_runs(checkpoints: Dict[str, str], fractions: Sequence[float],
              splits: int) -> List[Run]:
    """Every (checkpoint, fraction, split); fraction 1.0 has one split."""
    for fraction in fractions:
        if not 0 < fraction <= 1:
            raise ValueError(f'--fractions: {fraction} is not in (0, 1]')
    if len(set(fractions)) != len(fractions):
        raise ValueError(f'--fractions: {list(fractions)} repeats a value')
    if splits < 1:
        raise ValueError(f'--splits-per-fraction must be >= 1, got {splits}')
    return [
        Run(method, checkpoint, fraction, split)
        for method, checkpoint in checkpoints.items() for fraction in fractions
        for split in range(1 if fraction == 1 else splits)
    ]


def load_config(path: str, options: dict) -> Config:
    """``Config.fromfile(path)`` with ``options`` as ``--cfg-options``."""
    cfg = Config.fromfile(path)
    cfg.merge_from_dict(options)
    return cfg


def has_validation(cfg: Config) -> bool:
    """Whether training validates, hence selects a best checkpoint."""
    return (cfg.get('val_cfg') is not None
            and cfg.get('val_dataloader') is not None)


def phase_metrics(cfg: Config) -> List[dict]:
    """The ``PhaseMetric`` entries of ``cfg.test_evaluator``.

    Raises:
        ValueError: If there is none; nothing would write ``results.json``.
    """
    evaluator = cfg.get('test_evaluator')
    entries = evaluator if isinstance(evaluator, list) else [evaluator]
    metrics = [e for e in entries if e and e.get('type') == 'PhaseMetric']
    if not metrics:
        raise ValueError(
            f'{cfg.filename}: test_evaluator has no PhaseMetric; add '
            "dict(type='PhaseMetric', dataset=..., fps=...) to it")
    return metrics


def select_checkpoint(cfg: Config, work_dir: str) -> str:
    """The best checkpoint on validation, or the last one without validation.

    Raises:
        ValueError: If the config validates but keeps no single best
            checkpoint (``default_hooks.checkpoint.save_best`` unset or a
            list).
    """
    if not has_validation(cfg):
        with open(osp.join(work_dir, 'last_checkpoint')) as f:
            return f.read().strip()
    best = sorted(
        name for name in os.listdir(work_dir)
        if name.startswith('best_') and name.endswith('.pth'))
    if len(best) != 1:
        raise ValueError(
            f'{cfg.filename} validates, but {work_dir} holds {len(best)} best '
            f'checkpoints {best}; model selection needs exactly one: set '
            "default_hooks.checkpoint.save_best='phase/accuracy' (or drop "
            'validation: val_cfg=None val_dataloader=None val_evaluator=None)')
    return osp.join(work_dir, best[0])


def _json_normal(value: dict) -> dict:
    """``value`` as it reads back from JSON (tuples become lists, ...)."""
    return json.loads(json.dumps(value, sort_keys=True))


def differences(old: dict, new: dict, prefix: str = '') -> List[str]:
    """``'key: old -> new'`` for every leaf that differs, keys dotted."""
    lines = []
    for key in sorted({*old, *new}):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            lines += differences(a, b, f'{prefix}{key}.')
        elif key not in old or key not in new or a != b:
            shown = [
                repr(d[key]) if key in d else '<unset>' for d in (old, new)
            ]
            lines.append(f'{prefix}{key}: {shown[0]} -> {shown[1]}')
    return lines


def config_digest(path: str) -> str:
    """SHA-256 of the config with its bases merged: an edited config file
    (or base) counts as another input."""
    text = json.dumps(
        Config.fromfile(path).to_dict(), sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


class Stage:
    """One step of a run, in its own directory, done once.

    Args:
        name: Stage name, reported on failure.
        run: The run it belongs to.
        directory: Its directory (logs, checkpoints, outputs).
        inputs: Everything its result depends on (configs, options, upstream
            outputs); a directory written with other inputs is refused.
    """

    def __init__(self, name: str, run: Run, directory: str,
                 inputs: dict) -> None:
        self.name = name
        self.run = run
        self.directory = directory
        self.inputs = _json_normal(inputs)

    def _read(self, name: str) -> Optional[dict]:
        path = osp.join(self.directory, name)
        if not osp.isfile(path):
            return None
        with open(path, encoding='utf-8') as f:
            return json.load(f)

    def check_inputs(self) -> None:
        """Raise if the directory holds this stage run with other inputs.

        Raises:
            BenchmarkError: Listing the inputs that differ.
        """
        recorded = self._read('stage.json')
        if recorded is not None and recorded != self.inputs:
            changes = '\n  '.join(differences(recorded, self.inputs))
            raise BenchmarkError(
                f'{self.directory} holds stage {self.name!r} of run '
                f'{self.run.key} with other inputs:\n  {changes}\nUse '
                f'another --work-dir, or delete that directory to redo it.')

    def outputs(self) -> Optional[dict]:
        """The outputs of the finished stage; None if it has not finished or
        a file it wrote is gone (its string outputs are paths)."""
        outputs = self._read('done.json')
        if outputs is None or not all(
                osp.exists(value)
                for value in outputs.values() if isinstance(value, str)):
            return None
        return outputs

    def begin(self) -> None:
        os.makedirs(self.directory, exist_ok=True)
        atomic_write_text(
            osp.join(self.directory, 'stage.json'),
            json.dumps(self.inputs, indent=2, sort_keys=True) + '\n')

    def finish(self, outputs: dict) -> None:
        atomic_write_text(
            osp.join(self.directory, 'done.json'),
            json.dumps(outputs, indent=2) + '\n')

    def log_file(self) -> Optional[str]:
        """The newest log file under the stage directory."""
        logs = [
            osp.join(parent, name)
            for parent, _, names in os.walk(self.directory) for name in names
            if name.endswith('.log')
        ]
        return max(logs, key=osp.getmtime) if logs else None


def run_stage(stage: Stage, body: Callable[[], dict],
              logger: MMLogger) -> dict:
    """Run ``body`` unless ``stage`` finished before; return its outputs.

    Raises:
        StageError: If ``body`` raises; the traceback goes to ``logger``.
    """
    stage.check_inputs()
    outputs = stage.outputs()
    if outputs is not None:
        logger.info(f'{stage.run.key} {stage.name}: done before, skipped')
        return outputs
    logger.info(f'{stage.run.key} {stage.name}: running in {stage.directory}')
    stage.begin()
    try:
        outputs = body()
    except Exception as err:
        logger.error(traceback.format_exc())
        log = stage.log_file()
        raise StageError(
            f'stage {stage.name!r} of run {stage.run.key} failed: '
            f'{type(err).__name__}: {err}\n  stage log: {log}\n  benchmark '
            f'log: {logger.log_file}') from err
    stage.finish(outputs)
    return outputs


def run_runner(cfg: Config, work_dir: str, mode: str) -> None:
    """Build mmengine's Runner as ``tools/{mode}.py`` does and run ``mode``.

    A training resumes from ``work_dir``'s last checkpoint if it has one.
    """
    cfg.work_dir = work_dir
    # Unique, so that this Runner gets its own logger and message hub (both
    # are process-wide instances looked up by name).
    cfg.experiment_name = f'{osp.basename(work_dir)}-{next(_INSTANCE_IDS)}'
    if mode == 'train' and osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        cfg.resume, cfg.load_from = True, None
    set_dataloader_defaults(cfg)
    runner = (
        Runner.from_cfg(cfg)
        if 'runner_type' not in cfg else RUNNERS.build(cfg))
    getattr(runner, mode)()
    del runner
    # The Runner and its loops reference each other: collect them now, so
    # the model's memory and persistent dataloader workers go before the
    # next stage.
    gc.collect()


def _load_tool(name: str):
    """A module of ``tools/`` by file name (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location(
        name, osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def frame_options(settings: Settings, run: Run) -> dict:
    """Options of the frame config for ``run``: data, weights, labels."""
    options = dict(settings.frame_options)
    cfg = load_config(settings.frame_config, options)
    if settings.data_root:
        options.update({
            f'{loader}.dataset.data_root': settings.data_root
            for loader in LOADERS if cfg.get(loader)
        })
    options['model.backbone.init_cfg.checkpoint'] = run.checkpoint
    if run.fraction < 1:
        options['train_dataloader.dataset.fraction'] = run.fraction
        options['train_dataloader.dataset.split_seed'] = run.split
    return options


def train(config: str, options: dict, work_dir: str) -> dict:
    """Train with ``config``; output the model-selected checkpoint."""
    cfg = load_config(config, options)
    run_runner(cfg, work_dir, 'train')
    return dict(checkpoint=select_checkpoint(cfg, work_dir))


def evaluate(config: str, options: dict, checkpoint: str,
             work_dir: str) -> dict:
    """Test ``checkpoint``; PhaseMetric writes its files to ``work_dir/out``
    (official and strict metrics)."""
    cfg = load_config(config, options)
    cfg.load_from = checkpoint
    out_dir = osp.join(work_dir, 'out')
    for metric in phase_metrics(cfg):
        metric.update(out_dir=out_dir, mode='both')
    run_runner(cfg, work_dir, 'test')
    return dict(results=osp.join(out_dir, 'results.json'))


def extract(config: str, options: dict, checkpoint: str, out_dir: str,
            splits: Sequence[str]) -> dict:
    """Extract features of ``splits`` with ``tools/extract_features.py``."""
    tool = _load_tool('extract_features')
    os.makedirs(out_dir, exist_ok=True)
    timestamp = time.strftime('%Y%m%d_%H%M%S')
    # Becomes the current logger, which extract_features.py and the frame
    # dataset (its low-data record) write to.
    MMLogger.get_instance(
        f'extract-{next(_INSTANCE_IDS)}',
        log_file=osp.join(out_dir, f'extract_{timestamp}.log'))
    for split in splits:
        args = tool.parse_args(
            [config, checkpoint, '--out-dir', out_dir, '--split', split])
        args.cfg_options = options
        tool.extract_features(args)
    with open(osp.join(out_dir, tool.INDEX_FILE), encoding='utf-8') as f:
        feature_dim = json.load(f)['feature_dim']
    return dict(feature_dir=out_dir, feature_dim=feature_dim)


def temporal_options(settings: Settings, features: dict,
                     validate: bool) -> dict:
    """Options of the temporal config: the run's features, no val if none."""
    options = dict(settings.temporal_options)
    options['model.tcn.in_channels'] = features['feature_dim']
    if not validate:
        options.update(val_dataloader=None, val_cfg=None, val_evaluator=None)
    cfg = load_config(settings.temporal_config, options)
    options.update({
        f'{loader}.dataset.feature_dir': features['feature_dir']
        for loader in LOADERS if cfg.get(loader)
    })
    return options


def benchmark_run(settings: Settings, run: Run, logger: MMLogger) -> str:
    """All stages of ``run``; returns its ``results.json``."""
    run_dir = osp.join(settings.work_dir, 'runs', run.key)

    def stage(name: str, body: Callable[[str], dict], config: str,
              options: dict, **inputs) -> dict:
        """``body(stage_dir)`` once; the config's content is an input too."""
        directory = osp.join(run_dir, name)
        inputs.update(
            config=config,
            config_sha256=config_digest(config),
            options=options)
        return run_stage(
            Stage(name, run, directory, inputs), lambda: body(directory),
            logger)

    frame_config = settings.frame_config
    frame_opts = frame_options(settings, run)
    validate = has_validation(load_config(frame_config, frame_opts))
    frame = stage('frame', partial(train, frame_config, frame_opts),
                  frame_config, frame_opts)
    checkpoint = frame['checkpoint']
    if settings.temporal_config is None:
        return stage(
            'frame-test',
            partial(evaluate, frame_config, frame_opts, checkpoint),
            frame_config,
            frame_opts,
            checkpoint=checkpoint)['results']

    splits = ['train', 'val', 'test'] if validate else ['train', 'test']
    features = stage(
        'features',
        partial(extract, frame_config, frame_opts, checkpoint, splits=splits),
        frame_config,
        frame_opts,
        checkpoint=checkpoint,
        splits=splits)
    temporal_config = settings.temporal_config
    temporal_opts = temporal_options(settings, features, validate)
    train_temporal = partial(train, temporal_config, temporal_opts)
    temporal = stage('temporal', train_temporal, temporal_config,
                     temporal_opts)
    checkpoint = temporal['checkpoint']
    return stage(
        'test',
        partial(evaluate, temporal_config, temporal_opts, checkpoint),
        temporal_config,
        temporal_opts,
        checkpoint=checkpoint)['results']


def load_results(path: str) -> dict:
    """A ``results.json`` of PhaseMetric with official and strict reports."""
    with open(path, encoding='utf-8') as f:
        results = json.load(f)
    missing = [mode for mode in TABLES if mode not in results]
    if missing:
        raise ValueError(f'{path} lacks the {missing} reports; it was not '
                         "written with PhaseMetric(mode='both')")
    return results


def mean_std(values: Sequence[Optional[float]]) -> str:
    """``'mean ± sample std'`` (one decimal) of the non-missing values."""
    values = [v for v in values if v is not None]
    if not values:
        return 'n/a'
    if len(values) == 1:
        return f'{values[0]:.1f}'
    return f'{statistics.fmean(values):.1f} ± {statistics.stdev(values):.1f}'


def results_table(mode: str, rows: Dict[tuple, List[dict]]) -> List[str]:
    """Markdown section of one metric mode; ``rows`` maps (method,
    fraction) to the results of its splits."""
    title, explanation, metrics = TABLES[mode]
    names = ' | '.join(m.capitalize() for m in metrics)
    aligns = ' | '.join('---:' for _ in metrics)
    lines = [
        f'## {title}', '', explanation, '',
        f'| Method | Labels | Splits | {names} |',
        f'| --- | ---: | ---: | {aligns} |'
    ]
    for (method, fraction), results in rows.items():
        cells = [
            mean_std([r[mode][m]['mean'] for r in results]) for m in metrics
        ]
        lines.append(
            f'| {method} | {percent(fraction)} % | {len(results)} | ' +
            ' | '.join(cells) + ' |')
    return lines + ['']


def copy_ribbons(folder: str, runs: Sequence[Run],
                 results: Dict[Run, str]) -> List[str]:
    """Copy to ``folder`` the ribbon of the first test video of each
    method's first run; returns the markdown lines showing them."""
    os.makedirs(folder, exist_ok=True)
    first_runs: Dict[str, Run] = {}
    for run in runs:
        first_runs.setdefault(run.method, run)
    lines = []
    for method, run in first_runs.items():
        video = sorted(load_results(results[run])['official']['per_video'])[0]
        source = osp.join(osp.dirname(results[run]), f'{video}_ribbon.png')
        name = f'{method}_{video}_ribbon.png'
        tmp = osp.join(folder, f'.{name}.partial')
        shutil.copyfile(source, tmp)
        os.replace(tmp, osp.join(folder, name))
        lines += [
            f'**{method}**, {percent(run.fraction)} % labels, split '
            f'{run.split}, {video}:', '',
            f'![{method} {video}]({osp.basename(folder)}/{name})', ''
        ]
    return lines


def labelled_videos(run_dir: str) -> List[str]:
    """Training videos of a low-data run, from the record its frame dataset
    (``SurgicalPhaseFrames``) wrote to the Runner's log folder."""
    records = glob.glob(osp.join(run_dir, 'frame', '*', 'low_data_*.json'))
    if not records:
        raise FileNotFoundError(
            f'{run_dir}/frame/ has no low_data_*.json record of the chosen '
            'videos; the frame dataset must be SurgicalPhaseFrames')
    with open(max(records, key=osp.getmtime), encoding='utf-8') as f:
        return json.load(f)['videos']


def low_data_section(settings: Settings, runs: Sequence[Run]) -> List[str]:
    """Markdown list of the videos of each low-data split; a split that
    repeats another's videos (a pool too small for distinct subsets) is
    marked, as its row's spread understates the split-to-split variation."""
    lines = ['## Low-data splits', '']
    method = runs[0].method
    seen: Dict[tuple, int] = {}
    for run in runs:
        if run.method != method or run.fraction == 1:
            continue
        videos = labelled_videos(osp.join(settings.work_dir, 'runs', run.key))
        key = (run.fraction, tuple(videos))
        same = (f' (the videos of split {seen[key]})' if key in seen else '')
        seen.setdefault(key, run.split)
        lines.append(f'- {percent(run.fraction)} %, split {run.split}: '
                     f'{", ".join(videos)}{same}')
    return lines + [''] if len(lines) > 2 else []


def _shown(path: str) -> str:
    """``path`` relative to the repository when inside it."""
    inside = path.startswith(ROOT + os.sep)
    return f'`{osp.relpath(path, ROOT) if inside else path}`'


def write_report(settings: Settings, runs: Sequence[Run],
                 results: Dict[Run, str]) -> str:
    """Write ``results<suffix>.md`` and its ribbons; returns its path."""
    rows: Dict[tuple, List[dict]] = {}
    for run in runs:
        rows.setdefault((run.method, run.fraction),
                        []).append(load_results(results[run]))
    videos = sorted(next(iter(rows.values()))[0]['official']['per_video'])
    temporal = (
        _shown(settings.temporal_config)
        if settings.temporal_config else 'none (frame-level results)')
    methods = {run.method: run.checkpoint for run in runs}
    checkpoints = ', '.join(f'{name} = {_shown(path)}'
                            for name, path in methods.items())
    lines = [
        '# Phase recognition benchmark', '',
        f'- Frame model: {_shown(settings.frame_config)}',
        f'- Temporal model: {temporal}',
        f'- Test videos ({len(videos)}): {", ".join(videos)}',
        f'- Checkpoints: {checkpoints}',
        '- Labels: share of the labelled training videos; below 100 % each '
        'split is a fixed subset of videos (split_seed 0, 1, ...).',
        '- Entries in %: mean ± sample standard deviation over the splits.', ''
    ]
    for mode in TABLES:
        lines += results_table(mode, rows)
    lines += low_data_section(settings, runs)
    folder = osp.join(settings.work_dir, f'ribbons{settings.suffix}')
    lines += ['## Phase ribbons', ''] + copy_ribbons(folder, runs, results)
    path = osp.join(settings.work_dir, f'results{settings.suffix}.md')
    atomic_write_text(path, '\n'.join(lines))
    return path


def benchmark(settings: Settings, runs: Sequence[Run]) -> str:
    """Run (or resume) every run, then write the report; returns its path."""
    os.makedirs(settings.work_dir, exist_ok=True)
    logger = MMLogger.get_instance(
        f'benchmark_phase-{next(_INSTANCE_IDS)}',
        log_file=osp.join(settings.work_dir,
                          f'benchmark_{time.strftime("%Y%m%d_%H%M%S")}.log'))
    logger.info(f'{len(runs)} runs: {[run.key for run in runs]}')
    results = {run: benchmark_run(settings, run, logger) for run in runs}
    path = write_report(settings, runs, results)
    logger.info(f'results: {path}')
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Compare SSL checkpoints on surgical phase recognition: '
        'fine-tune/probe, extract features, temporal model, evaluation.')
    parser.add_argument(
        '--checkpoints',
        nargs='+',
        required=True,
        metavar='NAME=PATH',
        help='SSL checkpoints or backbone-only weights to compare')
    parser.add_argument(
        '--fractions',
        nargs='+',
        type=float,
        default=[1.0],
        help='shares of the labelled training videos, e.g. 1.0 0.25 0.125')
    parser.add_argument(
        '--splits-per-fraction',
        type=int,
        default=3,
        help='fixed low-data splits (split_seed 0..N-1) per fraction < 1')
    frame = parser.add_mutually_exclusive_group()
    frame.add_argument(
        '--probe',
        choices=sorted(PROBE_CONFIGS),
        default='finetune',
        help='frame model on Cholec80: full fine-tuning or linear probe')
    frame.add_argument(
        '--frame-config', help='frame config instead of the --probe one')
    temporal = parser.add_mutually_exclusive_group()
    temporal.add_argument(
        '--temporal-config',
        default=osp.join(ROOT, TEMPORAL_CONFIG),
        help='temporal model config (default: TeCNO on Cholec80 features)')
    temporal.add_argument(
        '--no-temporal',
        action='store_true',
        help='evaluate the frame model itself (results_frame.md)')
    parser.add_argument(
        '--data-root', help="data root of the frame config's datasets")
    parser.add_argument(
        '--frame-cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='override settings of the frame config')
    parser.add_argument(
        '--temporal-cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='override settings of the temporal config')
    parser.add_argument('--work-dir', default='work_dirs/benchmark_phase')
    return parser


def main(argv: Optional[Sequence[str]] = None) -> str:
    """Run the benchmark; returns the report's path.

    Raises:
        SystemExit: On bad arguments, a stage directory of another setting
            or a failed stage, with the message.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        runs = plan_runs(
            parse_checkpoints(args.checkpoints), args.fractions,
            args.splits_per_fraction)
    except ValueError as err:
        parser.error(str(err))
    settings = Settings(
        work_dir=osp.abspath(args.work_dir),
        frame_config=osp.abspath(
            args.frame_config or osp.join(ROOT, PROBE_CONFIGS[args.probe])),
        temporal_config=None
        if args.no_temporal else osp.abspath(args.temporal_config),
        frame_options=args.frame_cfg_options,
        temporal_options=args.temporal_cfg_options,
        data_root=args.data_root and osp.abspath(args.data_root))
    try:
        path = benchmark(settings, runs)
    except BenchmarkError as err:
        sys.exit(f'error: {err}')
    print(f'results: {path}')
    return path


if __name__ == '__main__':
    main()
