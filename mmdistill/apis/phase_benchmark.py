"""The phase benchmark: SSL checkpoints compared on surgical phase recognition.

For every run (:mod:`.runs`: method × label fraction × low-data seed) the
paper's downstream protocol, in stages (:mod:`.stages`) recorded for resuming
(:mod:`.stage_record`) in ``WORK_DIR/runs/<method>/<percent>pct/seed<k>/``:

1. ``frame``: fine-tune or linear-probe the backbone on the labelled frames
   (the checkpoint goes to ``model.backbone.init_cfg.checkpoint``, the
   fraction and seed to the training dataset's ``fraction`` and
   ``low_data_seed``); keep the best checkpoint on validation, or the last one
   without validation;
2. ``features``: per-frame features of the run's labelled training videos and
   of the validation and test videos (:mod:`.feature_extraction`);
3. ``temporal``: the temporal model on them, selected the same way;
4. ``test``: official and strict metrics, prediction files and ribbons.

Without a temporal config, ``frame-test`` tests the frame model instead of
2-4 and the report is ``results_frame.md``. Before any run the split guard
(:mod:`.split_guard`) refuses test videos in training or selection; after
the runs :mod:`.report` writes ``results.md``.
"""
import hashlib
import json
import os
import os.path as osp
import statistics
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from mmengine.config import Config
from mmengine.logging import MMLogger

from .protocol import Protocol, selection_text
from .report import RunResult, write_report
from .runner import has_validation, load_config
from .runs import Run, percent
from .split_guard import check_split_leaks, config_videos
from .stage_record import (StageRecord, recorded_durations, run_stage,
                           stage_status)
from .stages import features_stage, test_stage, train_stage

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


@dataclass
class Settings:
    """What every run shares (absolute paths).

    Attributes:
        work_dir: The benchmark's folder.
        frame_config: Frame model config (fine-tuning or linear probe).
        temporal_config: Temporal model config; None for frame-level results.
        frame_options: ``--cfg-options`` of the frame config.
        temporal_options: ``--cfg-options`` of the temporal config.
        data_root: Replaces the frame datasets' ``data_root``.
    """
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

    def shared_frame_options(self) -> dict:
        """Frame options common to all runs: the user's and the data root."""
        options = dict(self.frame_options)
        if self.data_root:
            cfg = load_config(self.frame_config, options)
            options.update({
                f'{loader}.dataset.data_root': self.data_root
                for loader in LOADERS if cfg.get(loader)
            })
        return options

    def frame_options_of(self, run: Run) -> dict:
        """Options of the frame config for ``run``: data, weights, labels."""
        options = self.shared_frame_options()
        options['model.backbone.init_cfg.checkpoint'] = run.checkpoint
        if run.fraction < 1:
            options['train_dataloader.dataset.fraction'] = run.fraction
            options['train_dataloader.dataset.low_data_seed'] = run.seed
        return options

    def temporal_options_of(self, features: dict, validate: bool) -> dict:
        """Options of the temporal config: the run's features, no
        validation when the frame config has none."""
        options = dict(self.temporal_options)
        options['model.tcn.in_channels'] = features['feature_dim']
        if not validate:
            options.update(
                val_dataloader=None, val_cfg=None, val_evaluator=None)
        cfg = load_config(self.temporal_config, options)
        options.update({
            f'{loader}.dataset.feature_dir': features['features_path']
            for loader in LOADERS if cfg.get(loader)
        })
        return options


def config_digest(path: str) -> str:
    """SHA-256 of the config with its bases merged: an edited config file
    (or base) counts as another input."""
    text = json.dumps(
        Config.fromfile(path).to_dict(), sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def stage_names(settings: Settings) -> List[str]:
    """The stages of every run."""
    if settings.temporal_config is None:
        return ['frame', 'frame-test']
    return ['frame', 'features', 'temporal', 'test']


def run_label(run: Run) -> str:
    """How a run's figures name it: method, label fraction and seed."""
    return f'{run.method}, {percent(run.fraction)}% labels, seed {run.seed}'


def run_directory(settings: Settings, run: Run) -> str:
    return osp.join(settings.work_dir, 'runs', run.key)


def benchmark_run(settings: Settings, run: Run,
                  logger: MMLogger) -> Tuple[RunResult, List[str]]:
    """All stages of ``run``; its test result and labelled videos."""
    run_dir = run_directory(settings, run)

    def stage(name: str, body: Callable[[str], dict], config: str,
              options: dict, **inputs) -> dict:
        """``body(stage_dir)`` once; the config's content is an input too."""
        directory = osp.join(run_dir, name)
        inputs.update(
            config=config, config_sha256=config_digest(config),
            options=options)
        return run_stage(
            StageRecord(name, run.key, directory, inputs),
            lambda: body(directory), logger)

    frame_config = settings.frame_config
    frame_opts = settings.frame_options_of(run)
    validate = has_validation(load_config(frame_config, frame_opts))
    frame = stage('frame', partial(train_stage, frame_config, frame_opts),
                  frame_config, frame_opts)
    checkpoint = frame['checkpoint_path']
    if settings.temporal_config is None:
        tested = stage(
            'frame-test',
            partial(test_stage, frame_config, frame_opts, checkpoint,
                    label=run_label(run)),
            frame_config, frame_opts, checkpoint=checkpoint)
        return RunResult.from_outputs(tested), frame['train_videos']

    splits = ['train', 'val', 'test'] if validate else ['train', 'test']
    features = stage(
        'features',
        lambda out_dir: features_stage(frame_config, frame_opts, checkpoint,
                                       out_dir, splits),
        frame_config, frame_opts, checkpoint=checkpoint, splits=splits)
    temporal_config = settings.temporal_config
    temporal_opts = settings.temporal_options_of(features, validate)
    temporal = stage('temporal',
                     partial(train_stage, temporal_config, temporal_opts),
                     temporal_config, temporal_opts)
    checkpoint = temporal['checkpoint_path']
    tested = stage(
        'test', partial(test_stage, temporal_config, temporal_opts,
                        checkpoint, label=run_label(run)),
        temporal_config, temporal_opts, checkpoint=checkpoint)
    return RunResult.from_outputs(tested), frame['train_videos']


def listed_videos(videos: Union[str, Sequence[str], None]) -> List[str]:
    """Explicit video ids of a dataset's ``videos``; none for a split name."""
    return [] if videos is None or isinstance(videos, str) else list(videos)


def guard_splits(settings: Settings) -> Dict[str, List[str]]:
    """Run the split guard on both configs; the frame config's videos per
    split.

    Raises:
        SplitLeakError: If a config trains on or selects with test videos.
    """
    cfg = load_config(settings.frame_config, settings.shared_frame_options())
    videos = config_videos(cfg)
    check_split_leaks(cfg, videos, name=settings.frame_config)
    if settings.temporal_config:
        temporal = load_config(settings.temporal_config,
                               settings.temporal_options)
        explicit = {
            split: listed_videos(temporal[key].dataset.get('videos'))
            for split, key in (('train', 'train_dataloader'),
                               ('val', 'val_dataloader')) if temporal.get(key)
        }
        check_split_leaks(
            temporal, explicit, test_videos=videos.get('test', []),
            name=settings.temporal_config)
    return videos


def describe(settings: Settings, runs: Sequence[Run],
             videos: Dict[str, List[str]], result: RunResult) -> Protocol:
    """The protocol card's facts."""
    cfg = load_config(settings.frame_config, settings.shared_frame_options())
    return Protocol(
        dataset=result.dataset,
        fps=result.fps,
        split_scheme=cfg.test_dataloader.dataset.get('split_scheme', 'n/a'),
        split_videos=videos,
        frame_config=settings.frame_config,
        temporal_config=settings.temporal_config,
        selection=selection_text(cfg, videos.get('val', [])),
        fractions=list(dict.fromkeys(run.fraction for run in runs)),
        seeds=sorted({run.seed for run in runs if run.fraction < 1}),
        checkpoints={run.method: run.checkpoint for run in runs})


def run_benchmark(settings: Settings, runs: Sequence[Run]) -> str:
    """Check the splits, run (or resume) every run, write the report.

    Returns:
        The report's path.

    Raises:
        BenchmarkError: On test videos in training or selection, a stage
            folder of other inputs, or a failed stage.
    """
    os.makedirs(settings.work_dir, exist_ok=True)
    logger = MMLogger.get_instance(
        f'benchmark_phase-{time.monotonic_ns()}',
        log_file=osp.join(settings.work_dir,
                          f'benchmark_{time.strftime("%Y%m%d_%H%M%S")}.log'))
    videos = guard_splits(settings)
    logger.info(f'{len(runs)} runs: {[run.key for run in runs]}')
    results, train_videos = {}, {}
    for run in runs:
        results[run], train_videos[run] = benchmark_run(settings, run, logger)
    protocol = describe(settings, runs, videos, results[runs[0]])
    path = write_report(settings.work_dir, settings.suffix, protocol, runs,
                        results, train_videos)
    logger.info(f'results: {path}')
    return path


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f'{hours} h {minutes:02d} min'
    return f'{minutes} min {seconds:02d} s' if minutes else f'{seconds} s'


def dry_run(settings: Settings, runs: Sequence[Run]) -> str:
    """The planned runs and stages, each with its state and an estimate
    from the stage durations recorded so far in the work dir (the mean
    duration of finished stages of the same name)."""
    durations = recorded_durations(settings.work_dir)
    estimates = {
        name: statistics.fmean(values)
        for name, values in durations.items()
    }
    names = stage_names(settings)
    lines = [
        '| run | stage | state | estimate |', '| --- | --- | --- | ---: |'
    ]
    total, unknown, todo = 0.0, 0, 0
    for run in runs:
        for name in names:
            state = stage_status(osp.join(run_directory(settings, run), name))
            estimate = '-'
            if state != 'done':
                todo += 1
                if name in estimates:
                    total += estimates[name]
                    estimate = _duration(estimates[name])
                else:
                    unknown += 1
                    estimate = '?'
            lines.append(f'| {run.key} | {name} | {state} | {estimate} |')
    recorded = sum(len(v) for v in durations.values())
    summary = (f'{len(runs)} runs, {len(runs) * len(names)} stages, '
               f'{todo} to run: about {_duration(total)} from {recorded} '
               'recorded stage durations')
    if unknown:
        summary += f' ({unknown} stages without a recorded duration)'
    fractions = ', '.join(
        f'{percent(f)} %' for f in dict.fromkeys(r.fraction for r in runs))
    return '\n'.join([f'Planned: {summary}; labels {fractions}', ''] + lines)
