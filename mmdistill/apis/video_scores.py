"""Per-video phase scores, and the aggregates the evaluator takes over videos.

The bootstrap over test videos (:mod:`.statistics`) recomputes each metric
on resampled videos, so it needs each video's share of the metric and the
evaluator's way of combining them:

* official (relaxed, :mod:`mmdistill.evaluation.relaxed`): accuracy is a
  mean over videos; Jaccard, precision and recall are per phase (values
  above 100 clipped), nanmean over videos, then mean over phases (precision:
  nanmean);
* strict (:mod:`mmdistill.evaluation.strict`): every metric has one value
  per video (the nanmean over phases) and is the mean over videos.

Aggregating all videos reproduces the evaluator's number.
"""
from typing import Dict, Mapping, Optional, Tuple

import numpy as np

from mmdistill.datasets.phases import get_phases
from mmdistill.evaluation.relaxed import evaluate_video, nanmean
from mmdistill.evaluation.strict import strict_report

#: Metrics of the tables per mode, in column order.
METRICS = {
    'official': ('accuracy', 'precision', 'recall', 'jaccard'),
    'strict': ('accuracy', 'precision', 'recall', 'jaccard', 'f1'),
}
PHASE_WISE = ('jaccard', 'precision', 'recall')


def _json_number(value: float) -> Optional[float]:
    return None if np.isnan(value) else float(value)


def video_scores(videos: Mapping[str, Tuple[np.ndarray, np.ndarray]],
                 dataset: str, fps: float) -> Dict[str, dict]:
    """Each video's scores, JSON-ready (NaN as None), per mode.

    Args:
        videos: ``name -> (gt, pred)`` phase-id sequences.
        dataset: Phase vocabulary (``'cholec80'``, ``'m2cai16'``).
        fps: Sampling rate of the sequences.

    Returns:
        ``{'official': {video: {'accuracy': x, 'jaccard': [x per phase],
        ...}}, 'strict': {video: {'accuracy': x, 'f1': x, ...}}}``.
    """
    phases = get_phases(dataset)
    official = {}
    for name, (gt, pred) in videos.items():
        scores = evaluate_video(gt, pred, phases, fps, name)
        entry = {'accuracy': float(scores.accuracy)}
        for key in PHASE_WISE:
            values = np.minimum(getattr(scores, key), 100)
            entry[key] = [_json_number(v) for v in values]
        official[name] = entry
    strict = {
        name: {key: _json_number(values[key])
               for key in METRICS['strict']}
        for name, values in strict_report(videos, phases)['per_video'].items()
    }
    return {'official': official, 'strict': strict}


def score_array(scores: Dict[str, dict], mode: str, metric: str,
                videos: Tuple[str, ...]) -> np.ndarray:
    """``[V]`` or, for official phase-wise metrics, ``[V, P]`` values of
    ``videos`` (in that order), NaN where undefined."""
    rows = [scores[mode][video][metric] for video in videos]
    return np.array(rows, dtype=float)


def aggregate(mode: str, metric: str):
    """``f(values, axis)``: the evaluator's metric over the videos on
    ``axis`` of the values :func:`score_array` gives."""
    if mode == 'official' and metric in PHASE_WISE:
        over_phases = nanmean if metric == 'precision' else np.mean

        def phase_wise(values: np.ndarray, axis: int) -> np.ndarray:
            return over_phases(nanmean(values, axis=axis), axis=-1)

        return phase_wise
    return lambda values, axis: np.mean(values, axis=axis)
