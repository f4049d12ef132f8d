"""One way to build mmengine's Runner: tools/train.py, tools/test.py and the
phase benchmark all call :func:`build_runner`.

mmpretrain's tools build the Runner inline; we share it because the
benchmark runs many trainings in one process and must configure each like
the command-line tools do (dataloader defaults, gloo on CPU, resume).
"""
import itertools
import os.path as osp
from typing import List, Optional

from mmengine.config import Config
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmdistill.engine import find_resumable_checkpoint
from mmdistill.utils import set_dataloader_defaults, setup_distributed_backend

_INSTANCE_IDS = itertools.count()


def load_config(path: str, options: Optional[dict] = None) -> Config:
    """``Config.fromfile(path)`` with ``options`` merged as ``--cfg-options``
    would."""
    cfg = Config.fromfile(path)
    if options:
        cfg.merge_from_dict(options)
    return cfg


def default_work_dir(config: str) -> str:
    """``./work_dirs/<config name>``, mmpretrain's default."""
    return osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])


def has_validation(cfg: Config) -> bool:
    """Whether training validates, hence can select a best checkpoint."""
    return (cfg.get('val_cfg') is not None
            and cfg.get('val_dataloader') is not None)


def phase_metrics(cfg: Config, key: str = 'test_evaluator') -> List[dict]:
    """The ``PhaseMetric`` entries of ``cfg[key]`` (a dict or a list).

    Raises:
        ValueError: If there is none, naming the key and the fix.
    """
    evaluator = cfg.get(key)
    entries = evaluator if isinstance(evaluator, list) else [evaluator]
    metrics = [e for e in entries if e and e.get('type') == 'PhaseMetric']
    if not metrics:
        raise ValueError(
            f'{cfg.filename}: {key} has no PhaseMetric; add '
            "dict(type='PhaseMetric', dataset=..., fps=...) to it")
    return metrics


def set_phase_output(cfg: Config,
                     out_dir: str,
                     mode: Optional[str] = None) -> None:
    """Point every test ``PhaseMetric`` at ``out_dir`` (its prediction
    files, ribbons, confusion matrix and ``results.json``), optionally
    switching its ``mode``."""
    for metric in phase_metrics(cfg):
        metric.out_dir = out_dir
        if mode is not None:
            metric.mode = mode


def build_runner(cfg: Config,
                 work_dir: Optional[str] = None,
                 launcher: str = 'none',
                 resume: bool = False,
                 load_from: Optional[str] = None,
                 unique_name: bool = False) -> Runner:
    """mmengine's Runner for ``cfg``, as every mmdistill entry point builds it.

    Args:
        cfg: A merged config; it is changed in place.
        work_dir: Overrides ``cfg.work_dir``.
        launcher: ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``; on a
            machine without GPU, ``'pytorch'`` runs gloo
            (:func:`mmdistill.utils.setup_distributed_backend`).
        resume: Resume from the newest complete checkpoint of the work dir
            if there is one (:func:`mmdistill.engine.find_resumable_checkpoint`,
            what ``tools/train.py --resume`` does); start afresh otherwise.
        load_from: Weights to load (``cfg.load_from``), e.g. for testing.
        unique_name: Give the Runner its own ``experiment_name``, so that
            several Runners in one process do not share the process-wide
            logger and message hub (looked up by that name).
    """
    if work_dir is not None:
        cfg.work_dir = work_dir
    cfg.launcher = launcher
    if resume:
        cfg.resume = True
        cfg.load_from = find_resumable_checkpoint(cfg.work_dir)
    elif load_from is not None:
        cfg.load_from = load_from
    if unique_name:
        cfg.experiment_name = (
            f'{osp.basename(osp.normpath(cfg.work_dir))}-'
            f'{next(_INSTANCE_IDS)}')
    set_dataloader_defaults(cfg)
    setup_distributed_backend(cfg, launcher)
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)

