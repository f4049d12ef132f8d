"""Port of the community's MATLAB phase evaluation (relaxed boundaries).

Nearly all Cholec80 / M2CAI16 phase-recognition papers report numbers from
one MATLAB script. This module reproduces it number for number, quirks
included. Source: the copy distributed with TMRNet (github.com/YuemingJin/
TMRNet), ``code/eval/result/matlab-eval/Evaluate.m`` (Cholec80, "revised for
cholec80"), ``Evaluate_m2cai.m`` and ``Main_m2cai.m`` (M2CAI16), and
``code/eval/matlab-phase/code/Main.m`` (Cholec80 aggregation). The same files
are used by Trans-SVNet, SAHC and, as "relaxed metrics", by Funke et al.
(2023). SV-RCNet ships an older variant: it forgives only +1 at the end of
CleaningCoagulation / GallbladderRetraction, and its M2CAI16 copy sets the
precision of a never-predicted phase to 0. We follow TMRNet's revision.

What ``Evaluate.m`` does for one video (``diff = pred - gt``):

* For every ground-truth segment (a maximal run of one phase) it takes
  ``t = min(10 * fps, segment length)`` frames at each end. A *late
  transition* at the start -- the prediction is still on an earlier phase --
  is forgiven (``diff`` set to 0) for the differences in the phase's ``late``
  set. An *early transition* at the end is meant to be forgiven for the
  ``early`` set, but the script writes
  ``curDiff(curDiff(end-t+1:end)==1) = 0``: a mask computed on the last
  ``t`` frames indexes the first ``t``. So head frame ``i`` is zeroed when tail
  frame ``i`` is early, and the early frames themselves stay wrong -- unless
  the segment has at most ``t`` frames, when head and tail coincide.
* Rules (:data:`RELAXED_TRANSITIONS`): in general ``late={-1}``,
  ``early={+1}``; GallbladderDissection and GallbladderPackaging also forgive
  ``+2`` at the end; CleaningCoagulation and GallbladderRetraction forgive
  ``-1, -2`` at the start and ``+1, +2`` at the end. ``Evaluate_m2cai.m``
  applies the same rules to the same phases (indices 5-8 there, because
  TrocarPlacement comes first), so the rules are keyed by phase name.
* Per phase ``p`` present in the ground truth: ``tp`` counts the frames of
  ``union(gt == p, pred == p)`` whose relaxed difference is 0. Frames
  forgiven for a neighbouring ground-truth phase count too, so precision and
  recall can exceed 100; a phase never predicted gets precision ``tp / 0``
  (``inf`` when ``tp > 0``, NaN when ``tp == 0``). Jaccard is
  ``tp / |union|``. A phase absent from the ground truth is NaN for all
  three, even if predicted.
* Accuracy is the share of frames whose relaxed difference is 0.

What ``Main.m`` does over videos: values above 100 are clipped to 100 per
video (``inf`` included, NaN untouched); per phase, the nanmean over videos;
then Jaccard and recall take a plain ``mean``/``std`` over phases (NaN if a
phase is absent from every video), precision ``nanmean``/``nanstd``; accuracy
takes ``mean``/``std`` over videos. MATLAB's ``std`` divides by ``N - 1``
(by ``N`` when ``N == 1``, giving 0).

Where we differ: phase names that are not in the vocabulary raise (the script
silently turns them into label 0), and the relaxed window must be a whole
number of frames (MATLAB errors on fractional indices).
"""
import warnings
from dataclasses import dataclass
from typing import Dict, List, Mapping, Sequence, Tuple

import numpy as np

#: ``phase name -> (late differences, early differences)`` that
#: ``Evaluate.m`` forgives at the start / end of a ground-truth segment.
RELAXED_TRANSITIONS: Dict[str, Tuple[Tuple[int, ...], Tuple[int, ...]]] = {
    'GallbladderDissection': ((-1, ), (1, 2)),
    'GallbladderPackaging': ((-1, ), (1, 2)),
    'CleaningCoagulation': ((-1, -2), (1, 2)),
    'GallbladderRetraction': ((-1, -2), (1, 2)),
}
GENERAL_TRANSITIONS: Tuple[Tuple[int, ...], Tuple[int, ...]] = ((-1, ), (1, ))

#: Length of the relaxed boundary in seconds.
RELAXED_SECONDS = 10


@dataclass
class OfficialVideoScores:
    """Per-video output of ``Evaluate.m`` (percentages, before clipping).

    Attributes:
        jaccard: Relaxed Jaccard per phase, NaN for phases absent from the
            ground truth.
        precision: Relaxed precision per phase; may exceed 100 or be inf.
        recall: Relaxed recall per phase; may exceed 100.
        accuracy: Relaxed frame accuracy of the video.
    """
    jaccard: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    accuracy: float


def check_label_sequences(gt: np.ndarray, pred: np.ndarray, num_phases: int,
                          video: str) -> Tuple[np.ndarray, np.ndarray]:
    """Return ``gt`` and ``pred`` as int64 vectors after checking them.

    Raises:
        ValueError: naming ``video`` if the sequences are not 1-D, empty,
            differ in length, or hold ids outside ``[0, num_phases)``.
    """
    gt = np.asarray(gt)
    pred = np.asarray(pred)
    if gt.ndim != 1 or pred.ndim != 1:
        raise ValueError(f'Video {video!r}: phase sequences must be 1-D, got '
                         f'shapes {gt.shape} (gt) and {pred.shape} (pred).')
    if gt.size == 0:
        raise ValueError(f'Video {video!r}: empty phase sequence.')
    if gt.shape != pred.shape:
        raise ValueError(f'Video {video!r}: {gt.size} ground-truth frames but '
                         f'{pred.size} predicted frames.')
    for kind, labels in (('ground-truth', gt), ('predicted', pred)):
        if not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f'Video {video!r}: {kind} phases must be integer '
                             f'ids, got dtype {labels.dtype}.')
        bad = (labels < 0) | (labels >= num_phases)
        if bad.any():
            raise ValueError(
                f'Video {video!r}: {kind} phase id {labels[bad][0]} at frame '
                f'{np.flatnonzero(bad)[0]} is outside [0, {num_phases}).')
    return gt.astype(np.int64), pred.astype(np.int64)


def label_segments(labels: np.ndarray) -> List[Tuple[int, int, int]]:
    """Runs of equal labels as ``(label, start, stop)`` (stop exclusive)."""
    labels = np.asarray(labels)
    bounds = np.flatnonzero(np.diff(labels)) + 1
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [labels.size]))
    return [(int(labels[s]), int(s), int(e)) for s, e in zip(starts, ends)]


def relaxed_window(fps: float) -> int:
    """``oriT = 10 * fps`` of ``Evaluate.m`` as a whole number of frames."""
    window = RELAXED_SECONDS * fps
    if fps <= 0 or not np.isclose(window, round(window)):
        raise ValueError(f'fps={fps} gives a relaxed boundary of {window} '
                         'frames; the official evaluation needs 10 * fps to '
                         'be a positive whole number of frames.')
    return int(round(window))


def relaxed_diff(gt: np.ndarray, pred: np.ndarray, phases: Sequence[str],
                 fps: float) -> np.ndarray:
    """``updatedDiff`` of ``Evaluate.m``: ``pred - gt`` with forgiven frames 0.

    Args:
        gt: Ground-truth phase ids, shape (T,).
        pred: Predicted phase ids, shape (T,).
        phases: Phase names in id order (they select the relaxation rules).
        fps: Sampling rate of the sequences in frames per second.
    """
    window = relaxed_window(fps)
    diff = pred - gt
    for phase, start, end in label_segments(gt):
        late, early = RELAXED_TRANSITIONS.get(phases[phase],
                                              GENERAL_TRANSITIONS)
        segment = diff[start:end]
        t = min(window, segment.size)
        head = segment[:t]
        head[np.isin(head, late)] = 0
        # The script's mask looks at the tail but indexes the head (see the
        # module docstring); the mask is taken after the late-rule update.
        head[np.isin(segment[segment.size - t:], early)] = 0
    return diff


def _percent(numerator: int, denominator: int) -> float:
    """``numerator * 100 / denominator`` with MATLAB's x/0 = inf, 0/0 = NaN."""
    with np.errstate(divide='ignore', invalid='ignore'):
        return float(np.float64(numerator) * 100 / np.float64(denominator))


def evaluate_video(gt: np.ndarray, pred: np.ndarray, phases: Sequence[str],
                   fps: float, video: str = '') -> OfficialVideoScores:
    """``Evaluate.m`` for one video.

    Args:
        gt: Ground-truth phase ids (0-based), shape (T,).
        pred: Predicted phase ids (0-based), shape (T,).
        phases: Phase names in id order.
        fps: Sampling rate of the sequences in frames per second.
        video: Name used in error messages.
    """
    gt, pred = check_label_sequences(gt, pred, len(phases), video)
    relaxed_correct = relaxed_diff(gt, pred, phases, fps) == 0
    num_phases = len(phases)
    jaccard = np.full(num_phases, np.nan)
    precision = np.full(num_phases, np.nan)
    recall = np.full(num_phases, np.nan)
    for phase in range(num_phases):
        in_gt = gt == phase
        if not in_gt.any():
            continue
        in_pred = pred == phase
        union = in_gt | in_pred
        tp = int(np.count_nonzero(relaxed_correct[union]))
        jaccard[phase] = _percent(tp, np.count_nonzero(union))
        precision[phase] = _percent(tp, np.count_nonzero(in_pred))
        recall[phase] = _percent(tp, np.count_nonzero(in_gt))
    accuracy = _percent(np.count_nonzero(relaxed_correct), gt.size)
    return OfficialVideoScores(jaccard, precision, recall, accuracy)


def nanmean(values: np.ndarray, axis=None) -> np.ndarray:
    """MATLAB ``nanmean``: NaN (without a warning) where all values are NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        return np.nanmean(values, axis=axis)


def std_matlab(values: np.ndarray) -> float:
    """MATLAB ``std`` of a vector: N-1 normalisation, 0 for one value, NaN
    if any value is NaN."""
    values = np.asarray(values, dtype=np.float64)
    if np.isnan(values).any():
        return float('nan')
    if values.size == 1:
        return 0.0
    return float(np.std(values, ddof=1))


def nanstd_matlab(values: np.ndarray) -> float:
    """MATLAB ``nanstd`` of a vector: :func:`std_matlab` of the non-NaN
    values, NaN if there are none."""
    values = np.asarray(values, dtype=np.float64)
    values = values[~np.isnan(values)]
    return std_matlab(values) if values.size else float('nan')


def _mean_std(mean: float, std: float) -> Dict[str, float]:
    return {'mean': float(mean), 'std': float(std)}


def relaxed_report(videos: Mapping[str, Tuple[np.ndarray, np.ndarray]],
                    phases: Sequence[str], fps: float) -> dict:
    """``Main.m``: evaluate every video and aggregate like the script.

    Args:
        videos: ``name -> (gt, pred)`` phase-id sequences.
        phases: Phase names in id order.
        fps: Sampling rate of the sequences in frames per second.

    Returns:
        dict: ``accuracy``, ``jaccard``, ``precision``, ``recall`` (each
        ``{'mean', 'std'}``, percentages; accuracy's std is over videos, the
        others' over phases), ``per_phase`` (``{name: {'jaccard',
        'precision', 'recall'}}``, the script's table) and ``per_video``
        (``{name: {'accuracy'}}``). Undefined values are NaN.
    """
    if not videos:
        raise ValueError('No videos to evaluate.')
    scores = {
        name: evaluate_video(gt, pred, phases, fps, name)
        for name, (gt, pred) in videos.items()
    }
    per_phase = {}
    for key in ('jaccard', 'precision', 'recall'):
        matrix = np.stack([getattr(s, key) for s in scores.values()], axis=1)
        matrix[matrix > 100] = 100
        per_phase[key] = nanmean(matrix, axis=1)
    accuracy = np.array([s.accuracy for s in scores.values()])
    return {
        'accuracy':
        _mean_std(np.mean(accuracy), std_matlab(accuracy)),
        'jaccard':
        _mean_std(np.mean(per_phase['jaccard']),
                  std_matlab(per_phase['jaccard'])),
        'precision':
        _mean_std(nanmean(per_phase['precision']),
                  nanstd_matlab(per_phase['precision'])),
        'recall':
        _mean_std(np.mean(per_phase['recall']),
                  std_matlab(per_phase['recall'])),
        'per_phase': {
            name: {key: float(per_phase[key][i])
                   for key in per_phase}
            for i, name in enumerate(phases)
        },
        'per_video': {
            name: {
                'accuracy': s.accuracy
            }
            for name, s in scores.items()
        },
    }
