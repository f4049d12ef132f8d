"""Strict (unrelaxed) phase-recognition metrics, computed video-wise.

Funke et al. (2023), "Metrics Matter in Surgical Phase Recognition", show
that the relaxed MATLAB metrics (:mod:`.relaxed`) inflate results and that
papers aggregate them inconsistently; they recommend plain frame accuracy and
video-wise macro metrics: per video, precision, recall, F1 and Jaccard per
phase from the unrelaxed counts, averaged over phases, then mean +- std over
videos. F1 and Jaccard are computed from the counts (``2TP / (2TP+FP+FN)``,
``TP / (TP+FP+FN)``), not from averaged precision and recall.

Undefined values: a value is NaN exactly when its denominator is 0, and NaN
values are skipped in every average. So a phase absent from a video's
ground truth and never predicted there is ignored; a phase absent from the
ground truth but predicted gets precision, F1 and Jaccard 0 and an undefined
recall.

Segmental metrics follow MS-TCN (Farha & Gall, 2019, ``eval.py``; after Lea
et al., 2017): the edit score is ``(1 - levenshtein / max(#segments)) * 100``
on the sequences of segment labels, averaged over videos; F1@k matches each
predicted segment, in order, to the unmatched ground-truth segment of the same
label with the highest IoU if that IoU >= k/100. As in MS-TCN the TP/FP/FN of
F1@k are summed over all videos before F1 is computed, so F1@k has no
spread (its ``std`` is NaN).
"""
from dataclasses import dataclass
from typing import Dict, Mapping, Sequence, Tuple

import numpy as np

from .relaxed import (check_label_sequences, label_segments, nanmean,
                       std_matlab)

#: IoU thresholds (percent) of the segmental F1 scores.
F1_OVERLAPS: Tuple[int, ...] = (10, 25, 50)


@dataclass
class StrictVideoScores:
    """Unrelaxed scores of one video (percentages).

    Attributes:
        precision: Per phase, NaN where the phase is never predicted.
        recall: Per phase, NaN where the phase is absent from the ground
            truth.
        f1: Per phase, NaN where the phase is neither present nor predicted.
        jaccard: Per phase, NaN where the phase is neither present nor
            predicted.
        accuracy: Frame accuracy.
        edit: Segmental edit score.
        segment_counts: ``{overlap: (tp, fp, fn)}`` of the segmental F1.
    """
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    jaccard: np.ndarray
    accuracy: float
    edit: float
    segment_counts: Dict[int, Tuple[int, int, int]]


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``100 * numerator / denominator``, NaN where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.full(numerator.shape, np.nan)
    np.divide(100 * numerator, denominator, out=out, where=denominator > 0)
    return out


def levenshtein(a: Sequence[int], b: Sequence[int]) -> int:
    """Edit distance between two label sequences (unit costs)."""
    row = np.arange(len(b) + 1)
    for i, item in enumerate(a, start=1):
        previous, row = row, np.empty_like(row)
        row[0] = i
        for j, other in enumerate(b, start=1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1,
                         previous[j - 1] + (item != other))
    return int(row[-1])


def edit_score(gt: np.ndarray, pred: np.ndarray) -> float:
    """MS-TCN's segmental edit score of one video, in percent."""
    gt_labels = [label for label, _, _ in label_segments(gt)]
    pred_labels = [label for label, _, _ in label_segments(pred)]
    distance = levenshtein(pred_labels, gt_labels)
    return (1 - distance / max(len(gt_labels), len(pred_labels))) * 100


def segment_counts(gt: np.ndarray, pred: np.ndarray,
                   overlap: float) -> Tuple[int, int, int]:
    """MS-TCN's ``f_score`` counts ``(tp, fp, fn)`` at IoU >= ``overlap``."""
    gt_segments = label_segments(gt)
    hits = np.zeros(len(gt_segments), dtype=bool)
    tp = fp = 0
    for label, start, end in label_segments(pred):
        iou = np.array([
            (min(end, g_end) - max(start, g_start)) /
            (max(end, g_end) - min(start, g_start)) if g_label == label else 0.
            for g_label, g_start, g_end in gt_segments
        ])
        best = int(np.argmax(iou))
        if iou[best] >= overlap and not hits[best]:
            tp += 1
            hits[best] = True
        else:
            fp += 1
    return tp, fp, len(gt_segments) - int(hits.sum())


def evaluate_video(gt: np.ndarray,
                   pred: np.ndarray,
                   num_phases: int,
                   video: str = '') -> StrictVideoScores:
    """Unrelaxed per-phase and segmental scores of one video.

    Args:
        gt: Ground-truth phase ids, shape (T,).
        pred: Predicted phase ids, shape (T,).
        num_phases: Size of the phase vocabulary.
        video: Name used in error messages.
    """
    gt, pred = check_label_sequences(gt, pred, num_phases, video)
    confusion = np.bincount(
        gt * num_phases + pred,
        minlength=num_phases**2).reshape(num_phases, num_phases)
    tp = np.diag(confusion)
    fp = confusion.sum(axis=0) - tp
    fn = confusion.sum(axis=1) - tp
    return StrictVideoScores(
        precision=_ratio(tp, tp + fp),
        recall=_ratio(tp, tp + fn),
        f1=_ratio(2 * tp, 2 * tp + fp + fn),
        jaccard=_ratio(tp, tp + fp + fn),
        accuracy=float(np.mean(gt == pred) * 100),
        edit=edit_score(gt, pred),
        segment_counts={
            k: segment_counts(gt, pred, k / 100)
            for k in F1_OVERLAPS
        })


def _segmental_f1(tp: int, fp: int, fn: int) -> float:
    """MS-TCN's F1 from summed counts (0 when undefined), in percent."""
    if tp == 0:
        return 0.0
    precision = tp / (tp + fp)
    recall = tp / (tp + fn)
    return 2 * precision * recall / (precision + recall) * 100


def strict_report(videos: Mapping[str, Tuple[np.ndarray, np.ndarray]],
                  phases: Sequence[str]) -> dict:
    """Evaluate every video and aggregate video-wise.

    Args:
        videos: ``name -> (gt, pred)`` phase-id sequences.
        phases: Phase names in id order.

    Returns:
        dict: ``accuracy``, ``jaccard``, ``precision``, ``recall``, ``f1``,
        ``edit`` (``{'mean', 'std'}`` over videos, percentages) and
        ``f1@10``, ``f1@25``, ``f1@50`` (``std`` NaN, see the module
        docstring), ``per_phase`` (``{name: {'jaccard', 'precision',
        'recall', 'f1'}}``, nanmean over videos) and ``per_video``.
    """
    if not videos:
        raise ValueError('No videos to evaluate.')
    scores = {
        name: evaluate_video(gt, pred, len(phases), name)
        for name, (gt, pred) in videos.items()
    }
    phase_keys = ('jaccard', 'precision', 'recall', 'f1')
    per_video = {
        name: {
            'accuracy': s.accuracy,
            **{key: float(nanmean(getattr(s, key)))
               for key in phase_keys},
            'edit': s.edit,
        }
        for name, s in scores.items()
    }
    report = {}
    for key in ('accuracy', ) + phase_keys + ('edit', ):
        values = np.array([v[key] for v in per_video.values()])
        report[key] = {'mean': float(np.mean(values)),
                       'std': std_matlab(values)}
    for k in F1_OVERLAPS:
        counts = np.sum([s.segment_counts[k] for s in scores.values()], axis=0)
        report[f'f1@{k}'] = {'mean': _segmental_f1(*counts), 'std': np.nan}
    per_phase = {
        key: nanmean(np.stack([getattr(s, key) for s in scores.values()]),
                     axis=0)
        for key in phase_keys
    }
    report['per_phase'] = {
        name: {key: float(per_phase[key][i])
               for key in phase_keys}
        for i, name in enumerate(phases)
    }
    report['per_video'] = per_video
    return report
