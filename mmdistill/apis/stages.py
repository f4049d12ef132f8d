"""The stages of a benchmark run; each returns its outputs as a dict.

A stage gets its inputs from the stage before (the checkpoint it selected,
the features it wrote) and returns what the next stage and the report need:
the selected checkpoint from the checkpoint hook's record, the labelled
videos from the training dataset, the metrics from the evaluator and the
per-video scores from the phase metric. Outputs ending in ``_path`` are
files kept for people and for resuming (:mod:`.stage_record`).
"""
import gc
import json
import os.path as osp
from dataclasses import asdict
from typing import Optional, Sequence

from mmengine.config import Config
from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmengine.runner import Runner

from mmdistill.evaluation import PhaseMetric
from mmdistill.utils.fileio import write_text_atomic
from .feature_extraction import extract_features
from .runner import build_runner, has_validation, load_config, phase_metrics
from .split_guard import dataset_videos
from .video_scores import video_scores

LOW_DATA_FILE = 'low_data.json'


def check_selection(cfg: Config) -> None:
    """A validating config must keep exactly one best checkpoint.

    Raises:
        ValueError: If ``default_hooks.checkpoint.save_best`` is not one
            metric name.
    """
    save_best = cfg.get('default_hooks', {}).get('checkpoint', {}).get(
        'save_best')
    if has_validation(cfg) and not isinstance(save_best, str):
        raise ValueError(
            f'{cfg.filename} validates, but default_hooks.checkpoint.'
            f'save_best={save_best!r}; model selection needs exactly one '
            "metric: set default_hooks.checkpoint.save_best='phase/accuracy' "
            '(or drop validation: val_cfg=None val_dataloader=None '
            'val_evaluator=None)')


def _checkpoint_hook(runner: Runner) -> CheckpointHook:
    hooks = [h for h in runner.hooks if isinstance(h, CheckpointHook)]
    if not hooks:
        raise ValueError('the config has no checkpoint hook '
                         '(default_hooks.checkpoint); nothing is saved')
    return hooks[0]


def selected_checkpoint(runner: Runner, validated: bool) -> str:
    """The best checkpoint on validation, or the last one, as the
    checkpoint hook recorded it.

    A training resumed after its last epoch runs no validation, and the
    checkpoint it resumed from was saved before that epoch's validation; when
    the hook thus has no best checkpoint on record, the final model is
    validated once more, so the hook records it.

    Raises:
        FileNotFoundError: If the recorded checkpoint does not exist.
    """
    hook = _checkpoint_hook(runner)
    if validated:
        if hook.best_ckpt_path is None:
            runner.val()
        path = hook.best_ckpt_path
    else:
        path = hook.last_ckpt or runner.message_hub.get_info('last_ckpt')
    if path is None or not osp.isfile(path):
        raise FileNotFoundError(
            f'the checkpoint hook of {runner.work_dir} recorded the '
            f'checkpoint {path!r}, which does not exist')
    return path


def train_stage(config: str, options: dict, work_dir: str) -> dict:
    """Train with ``config`` (resuming an interrupted training of the same
    folder).

    Returns:
        ``checkpoint_path`` (the model-selected checkpoint),
        ``train_videos`` (the videos trained on: a low-data subset is chosen
        when the dataset is built) and, for a low-data subset,
        ``low_data_path``: the subset
        (:class:`mmdistill.datasets.frames.LowDataSubset`) written for
        people to read.
    """
    cfg = load_config(config, options)
    check_selection(cfg)
    resume = osp.isfile(osp.join(work_dir, 'last_checkpoint'))
    runner = build_runner(
        cfg, work_dir=work_dir, resume=resume, unique_name=True)
    runner.train()
    dataset = runner.train_dataloader.dataset
    outputs = dict(
        checkpoint_path=selected_checkpoint(runner, has_validation(cfg)),
        train_videos=dataset_videos(dataset))
    low_data = getattr(dataset, 'low_data', None)
    if low_data is not None:
        outputs['low_data_path'] = osp.join(work_dir, LOW_DATA_FILE)
        if is_main_process():
            write_text_atomic(outputs['low_data_path'],
                              json.dumps(asdict(low_data), indent=2) + '\n')
    del runner
    # The Runner and its loops reference each other: collect them now, so
    # the model's memory and dataloader workers go before the next stage.
    gc.collect()
    return outputs


def test_stage(config: str,
               options: dict,
               checkpoint: str,
               work_dir: str,
               label: Optional[str] = None) -> dict:
    """Test ``checkpoint``; the phase metric also writes its prediction
    files, ribbons (titled with ``label``) and ``results.json`` to
    ``work_dir/out`` for people.

    Returns:
        ``metrics`` (what the evaluator returned), ``per_video`` (per-video
        scores, :func:`.video_scores.video_scores`), ``test_videos`` and
        ``results_path``.
    """
    cfg = load_config(config, options)
    out_dir = osp.join(work_dir, 'out')
    for entry in phase_metrics(cfg):
        entry.update(out_dir=out_dir, mode='both', method=label)
    runner = build_runner(
        cfg, work_dir=work_dir, load_from=checkpoint, unique_name=True)
    metrics = runner.test()
    metric = next(m for m in runner.test_evaluator.metrics
                  if isinstance(m, PhaseMetric))
    videos = metric.evaluated_videos
    outputs = dict(
        metrics={k: float(v) for k, v in metrics.items()},
        metric_prefix=metric.prefix,
        dataset=metric.dataset,
        fps=float(metric.fps),
        test_videos=list(videos),
        per_video=video_scores(videos, metric.dataset, metric.fps),
        results_path=osp.join(out_dir, 'results.json'))
    del runner
    gc.collect()
    return outputs


def features_stage(config: str, options: dict, checkpoint: str,
                   out_dir: str, splits: Sequence[str],
                   device: Optional[str] = None) -> dict:
    """Extract the features of ``splits`` with the selected frame model.

    Returns:
        ``features_path`` (the feature directory), ``feature_dim`` and the
        ``videos`` of each split.
    """
    videos, feature_dim = {}, None
    for split in splits:
        extracted = extract_features(
            config,
            checkpoint,
            out_dir,
            split=split,
            device=device,
            cfg_options=options)
        videos[split] = extracted.videos
        feature_dim = extracted.feature_dim
    return dict(features_path=out_dir, feature_dim=feature_dim, videos=videos)
