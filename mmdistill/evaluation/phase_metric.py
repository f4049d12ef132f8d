"""Surgical phase-recognition metric for mmengine evaluators.

:class:`PhaseMetric` gathers per-video phase sequences from either the
temporal model (one sample per video) or an mmpretrain frame classifier (one
sample per frame, grouped by video and sorted by frame) and reports the
official relaxed metrics (:mod:`.relaxed`), the strict video-wise ones
(:mod:`.strict`) or both. :func:`evaluate_phases` and
:func:`results_to_json` are shared with ``tools/analysis/eval_phase.py``.
"""
import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmdistill.datasets.phases import get_phases
from mmdistill.registry import METRICS, VIDEO_METRICS
from mmdistill.visualization import save_phase_figures
from mmdistill.utils.fileio import write_text_atomic
from .label_files import write_label_file
from .relaxed import relaxed_report, relaxed_window
from .strict import strict_report

MODES = ('official', 'strict', 'both')

Videos = Mapping[str, Tuple[np.ndarray, np.ndarray]]


def evaluate_phases(videos: Videos, dataset: str, fps: float,
                    mode: str) -> Dict[str, dict]:
    """Official and/or strict reports of ``name -> (gt, pred)`` sequences.

    Returns:
        dict: ``{'official': report}``, ``{'strict': report}`` or both, see
        :func:`.relaxed.relaxed_report` and :func:`.strict.strict_report`.
    """
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}.')
    phases = get_phases(dataset)
    reports = {}
    if mode in ('official', 'both'):
        reports['official'] = relaxed_report(videos, phases, fps)
    if mode in ('strict', 'both'):
        reports['strict'] = strict_report(videos, phases)
    return reports


def _json_safe(value: Any) -> Any:
    """Replace NaN / inf by None, recursively, for strict JSON."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def results_to_json(reports: Dict[str, dict], dataset: str,
                    fps: float) -> str:
    """The JSON document of ``eval_phase.py`` and ``PhaseMetric(out_dir)``.

    With one mode the report's keys are top-level (``accuracy``, ``jaccard``,
    ``precision``, ``recall`` as ``{"mean", "std"}``, ``per_phase``, ...);
    with both modes they sit under ``"official"`` and ``"strict"``. NaN is
    written as ``null``.
    """
    first = next(iter(reports.values()))
    document = {
        'dataset': dataset,
        'fps': float(fps),
        'mode': 'both' if len(reports) > 1 else next(iter(reports)),
        'num_videos': len(first['per_video']),
    }
    document.update(reports if len(reports) > 1 else first)
    return json.dumps(_json_safe(document), indent=2, allow_nan=False) + '\n'


def format_report(mode: str, report: dict) -> str:
    """A text table like the one ``Main.m`` prints."""
    phase_keys = list(next(iter(report['per_phase'].values())))
    lines = [f'{mode} phase metrics',
             f'{"Phase":>25}|' + '|'.join(f'{k:>9}' for k in phase_keys)]
    for name, values in report['per_phase'].items():
        lines.append(f'{name:>25}|' +
                     '|'.join(f'{values[k]:9.2f}' for k in phase_keys))
    for key, value in report.items():
        if key not in ('per_phase', 'per_video'):
            spread = '' if math.isnan(value['std']) and not math.isnan(
                value['mean']) else f' +- {value["std"]:6.2f}'
            lines.append(f'{key:>25}: {value["mean"]:6.2f}{spread}')
    return '\n'.join(lines)


@METRICS.register_module()
@VIDEO_METRICS.register_module()
class PhaseMetric(BaseMetric):
    """Phase recognition metrics per video (official relaxed and/or strict).

    ``process`` accepts two kinds of data samples (as dicts, which mmengine's
    ``Evaluator`` makes from data samples):

    * sequences from the temporal model: ``pred_phase`` and ``gt_phase``
      (LongTensor [T]) and ``video_name``; ``phase_score`` is not used;
    * frames from an mmpretrain ``ImageClassifier``: ``pred_label`` and
      ``gt_label`` (LongTensor [1]) plus the ``video`` and ``frame``
      metainfo (``PackInputs(meta_keys=(..., 'video', 'frame'))``).

    One result is stored per sample, as numpy, so mmengine can collect them
    across ranks and drop the sampler's padding.

    Args:
        dataset: ``'cholec80'`` or ``'m2cai16'`` (phase names).
        fps: Sampling rate of the sequences; the official relaxed boundary is
            ``10 * fps`` frames.
        mode: ``'official'``, ``'strict'`` or ``'both'``. The returned names
            are ``phase/accuracy`` (first), ``phase/jaccard``,
            ``phase/precision``, ``phase/recall`` and, in strict mode,
            ``phase/f1``, ``phase/edit``, ``phase/f1@10`` ... With ``'both'``
            the strict names get a ``strict_`` prefix.
        out_dir: If set, write per video the ground truth ``<video>.txt`` and
            prediction ``<video>_pred.txt`` (official format, so
            ``eval_phase.py --gt-dir OUT --pred-dir OUT`` re-evaluates them),
            the ribbon ``<video>_ribbon.png``, plus ``confusion_matrix.png``
            over all videos and ``results.json``.
        method: The model's name in the figures' titles (e.g. the SSL
            method and the label fraction).
        collect_device: See :class:`mmengine.evaluator.BaseMetric`.
        prefix: Metric name prefix, ``'phase'`` by default.
        collect_dir: See :class:`mmengine.evaluator.BaseMetric`.
    """
    default_prefix = 'phase'

    def __init__(self,
                 dataset: str = 'cholec80',
                 fps: float = 1.0,
                 mode: str = 'official',
                 out_dir: Optional[str] = None,
                 method: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device, prefix, collect_dir)
        if mode not in MODES:
            raise ValueError(f'PhaseMetric: mode must be one of {MODES}, got '
                             f'{mode!r}.')
        self.dataset = dataset
        self.phases = get_phases(dataset)
        if mode != 'strict':
            relaxed_window(fps)
        self.fps = fps
        self.mode = mode
        self.out_dir = out_dir
        self.method = method
        #: ``name -> (gt, pred)`` of the last evaluation (main process), for
        #: callers that need per-video numbers, e.g. a bootstrap over videos.
        self.evaluated_videos: Dict[str, Tuple[np.ndarray, np.ndarray]] = {}

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Store one numpy result per sequence or frame sample."""
        for sample in data_samples:
            if 'pred_phase' in sample:
                self.results.append({
                    'video': str(sample['video_name']),
                    'frame': None,
                    'gt': _numpy(sample['gt_phase']),
                    'pred': _numpy(sample['pred_phase']),
                })
            elif 'pred_label' in sample:
                missing = [k for k in ('video', 'frame') if k not in sample]
                if missing:
                    raise KeyError(
                        f'PhaseMetric: frame sample lacks {missing}; add them '
                        "to PackInputs(meta_keys=(..., 'video', 'frame')).")
                self.results.append({
                    'video': str(sample['video']),
                    'frame': int(sample['frame']),
                    'gt': _single_label(sample, 'gt_label'),
                    'pred': _single_label(sample, 'pred_label'),
                })
            else:
                raise KeyError(
                    'PhaseMetric: a data sample needs pred_phase/gt_phase '
                    '(temporal model) or pred_label/gt_label (frame '
                    f'classifier); got keys {sorted(sample)}.')

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Evaluate the collected videos; write files if ``out_dir`` is set."""
        sequences = gather_videos(results)
        videos = {name: (gt, pred) for name, (_, gt, pred) in
                  sequences.items()}
        self.evaluated_videos = videos
        reports = evaluate_phases(videos, self.dataset, self.fps, self.mode)
        for mode, report in reports.items():
            print_log(format_report(mode, report), logger='current')
        if self.out_dir is not None:
            self._write_outputs(sequences, reports)
        metrics = {}
        for mode, report in reports.items():
            prefix = 'strict_' if mode == 'strict' and len(reports) > 1 \
                else ''
            for key, value in report.items():
                if key not in ('per_phase', 'per_video'):
                    metrics[prefix + key] = value['mean']
        return metrics

    def _write_outputs(self, sequences: Dict[str, Tuple[np.ndarray, ...]],
                       reports: Dict[str, dict]) -> None:
        out_dir = Path(self.out_dir)
        for name, (frames, gt, pred) in sequences.items():
            write_label_file(out_dir / f'{name}.txt', gt, self.dataset, frames)
            write_label_file(out_dir / f'{name}_pred.txt', pred, self.dataset,
                             frames)
        relaxed = reports.get('official', {}).get('per_video', {})
        save_phase_figures(
            {name: (gt, pred)
             for name, (_, gt, pred) in sequences.items()},
            self.phases,
            out_dir,
            self.fps,
            method=self.method,
            relaxed_accuracy={
                name: scores['accuracy']
                for name, scores in relaxed.items()
            })
        write_text_atomic(out_dir / 'results.json',
                          results_to_json(reports, self.dataset, self.fps))


def _numpy(value: Any) -> np.ndarray:
    """A tensor or array-like as a CPU numpy array."""
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _single_label(sample: dict, key: str) -> np.ndarray:
    """The one label of a frame sample as an array of shape (1,)."""
    label = _numpy(sample[key]).reshape(-1)
    if label.size != 1:
        raise ValueError(f'PhaseMetric: {key} of frame {sample["frame"]} of '
                         f'video {sample["video"]!r} has {label.size} values; '
                         'expected one phase id.')
    return label


def gather_videos(
        results: Sequence[dict]) -> Dict[str, Tuple[np.ndarray, ...]]:
    """Group stored results into ``name -> (frames, gt, pred)``, sorted.

    Sequence results become frames ``0..T-1``; frame results of one video are
    sorted by frame index.

    Raises:
        ValueError: if a video comes both as a sequence and as frames, twice
            as a sequence, or has a frame index twice.
    """
    sequences = {}
    frames = defaultdict(list)
    for result in results:
        name = result['video']
        if result['frame'] is None:
            if name in sequences:
                raise ValueError(f'PhaseMetric: video {name!r} was given '
                                 'twice as a sequence.')
            sequences[name] = (np.arange(result['gt'].size), result['gt'],
                               result['pred'])
        else:
            frames[name].append(result)
    for name, items in frames.items():
        if name in sequences:
            raise ValueError(f'PhaseMetric: video {name!r} came both as a '
                             'sequence and as frames.')
        items.sort(key=lambda r: r['frame'])
        index = np.array([r['frame'] for r in items])
        if np.any(np.diff(index) == 0):
            duplicate = index[np.flatnonzero(np.diff(index) == 0)[0]]
            raise ValueError(f'PhaseMetric: frame {duplicate} of video '
                             f'{name!r} was evaluated twice.')
        sequences[name] = (index, np.concatenate([r['gt'] for r in items]),
                           np.concatenate([r['pred'] for r in items]))
    return dict(sorted(sequences.items()))
