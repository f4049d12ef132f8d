"""The MATLAB port against hand-worked numbers (videos in conftest.py)."""
import math

import numpy as np
import pytest

from mmdistill.datasets.phases import get_phases
from mmdistill.evaluation.relaxed import (evaluate_video, relaxed_report,
                                           relaxed_diff, relaxed_window)

CHOLEC80 = get_phases('cholec80')
M2CAI16 = get_phases('m2cai16')
NAN = float('nan')


def sample_std(*values):
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean)**2 for v in values) / (len(values) - 1))


def test_relaxed_diff_of_video_a(video_a):
    gt, pred = video_a
    wrong = np.flatnonzero(relaxed_diff(gt, pred, CHOLEC80, fps=1))
    # Early switch to phase 1 at the end of Preparation (frames 22-24): the
    # script's mask is taken on the last 10 frames but zeroes the first 10,
    # and the 25-frame segment's head (0-9) is correct already, so the early
    # frames stay wrong. Late switch at the start of Calot (25-28, diff -1)
    # and the -2 at the start of CleaningCoagulation (72-73) are forgiven.
    # Phase 4 inside GallbladderDissection (61-62, diff +1) is no transition.
    assert wrong.tolist() == [22, 23, 24, 61, 62]


def test_early_transition_partly_forgiven_when_windows_overlap():
    # 12-frame segment, window 10: head = frames 0-9, tail = frames 2-11.
    # Tail frames 9, 10, 11 are early (+1); the mask positions 7, 8, 9 are
    # applied to the head, so frame 9 -- itself early -- is forgiven.
    gt = np.array([0] * 12 + [1] * 12)
    pred = np.array([0] * 9 + [1] * 15)
    diff = relaxed_diff(gt, pred, CHOLEC80, fps=1)
    assert np.flatnonzero(diff).tolist() == [10, 11]


def test_early_transition_forgiven_in_short_segment():
    # Segment of 5 <= 10 frames: head and tail coincide, the rule works.
    gt = np.array([0] * 5 + [1] * 5)
    pred = np.array([0] * 3 + [1] * 7)
    assert not relaxed_diff(gt, pred, CHOLEC80, fps=1).any()


def test_quirk_forgives_unrelated_error_at_segment_start():
    # Frame 0 of a 20-frame Calot segment is predicted as phase 3 (+2, not
    # forgivable there) and frame 10 as phase 2 (+1). Frame 10 is index 0 of
    # the tail window (10-19), so the early mask zeroes head frame 0 instead
    # of frame 10.
    gt = np.array([1] * 20 + [2] * 5)
    pred = np.array([3] + [1] * 9 + [2] + [1] * 9 + [2] * 5)
    diff = relaxed_diff(gt, pred, CHOLEC80, fps=1)
    assert np.flatnonzero(diff).tolist() == [10]


def test_late_phase_rules():
    # CleaningCoagulation (5) forgives -2 at its start (frame 0: 3 - 5),
    # ClippingCutting (2) does not (frame 4: 0 - 2); -5 never (frame 3).
    gt = np.array([5] * 4 + [2] * 4)
    pred = np.array([3, 5, 5, 0, 0, 2, 2, 2])
    diff = relaxed_diff(gt, pred, CHOLEC80, fps=1)
    assert np.flatnonzero(diff).tolist() == [3, 4]


def test_m2cai16_rules_follow_the_phase_not_the_index():
    # M2CAI16 ids: 0 TrocarPlacement, 1 Preparation, ..., 3 ClippingCutting,
    # 5 GallbladderPackaging, 7 GallbladderRetraction (Evaluate_m2cai.m's
    # special phases are 5-8 in MATLAB, i.e. the Cholec80 ones shifted).
    # Retraction (7) forgives -2 at its start (frames 5-6: 5 - 7) ...
    retraction = relaxed_diff(np.array([5] * 5 + [7] * 5),
                              np.array([5] * 7 + [7] * 3), M2CAI16, fps=1)
    assert not retraction.any()
    # ... and ClippingCutting (3) does not forgive +2 at its end (3 -> 5),
    # although id 3 is a special phase (GallbladderDissection) in Cholec80.
    clipping = relaxed_diff(np.array([3] * 5 + [5] * 5),
                            np.array([3] * 3 + [5] * 7), M2CAI16, fps=1)
    assert np.flatnonzero(clipping).tolist() == [3, 4]


def test_video_a_scores(video_a):
    scores = evaluate_video(*video_a, CHOLEC80, fps=1)
    # tp of phase p counts relaxed-correct frames of union(gt==p, pred==p).
    # Prep: union 0-28 (29), wrong 22-24 -> tp 26; predicted 22 + 4 late
    # frames = 26; 25 in gt.
    # Calot: union 22-39 (18), tp 15 (25-39); predicted 3 + 11 = 14.
    # Clipping: perfect.
    # GB dissection: union 52-73 (22), wrong 61-62, the forgiven 72-73 count
    # -> tp 20; predicted 9 + 9 + 2 = 20; 20 in gt: recall 100 although two
    # of its own frames are wrong.
    # GB packaging: absent from gt, predicted at 61-62 -> NaN.
    # Cleaning: union 72-83, tp 12; predicted 10.
    # Retraction: absent, never predicted -> NaN.
    np.testing.assert_allclose(
        scores.jaccard,
        [2600 / 29, 1500 / 18, 100, 2000 / 22, NAN, 100, NAN])
    np.testing.assert_allclose(
        scores.precision, [100, 1500 / 14, 100, 100, NAN, 120, NAN])
    np.testing.assert_allclose(scores.recall,
                               [104, 100, 100, 100, NAN, 100, NAN])
    assert scores.accuracy == pytest.approx(7900 / 84)


def test_video_b_scores(video_b):
    scores = evaluate_video(*video_b, CHOLEC80, fps=1)
    # Only frame 7 (Calot predicted as phase 3, +2) stays wrong; the early
    # frames 3-4 (+1) and 23-24 (+2 at GB packaging's end) are forgiven
    # because every segment is shorter than the window.
    # Prep: tp 5 over 3 predicted -> 166.7; Calot: union 3-9, tp 6 over 5 gt
    # -> 120; GB dissection: union {7, 15-19} -> 5/6; Retraction: pred 23-24
    # and 30-34, all relaxed-correct -> tp 7 over 5 gt -> 140.
    np.testing.assert_allclose(scores.jaccard,
                               [100, 600 / 7, 100, 500 / 6, 100, 100, 100])
    np.testing.assert_allclose(
        scores.precision, [500 / 3, 100, 100, 500 / 6, 500 / 3, 100, 100])
    np.testing.assert_allclose(scores.recall,
                               [100, 120, 100, 100, 100, 100, 140])
    assert scores.accuracy == pytest.approx(3400 / 35)


def test_report_over_two_videos(videos):
    report = relaxed_report(videos, CHOLEC80, fps=1)
    # Per phase: clip each video at 100, nanmean over videos.
    jaccard = [(2600 / 29 + 100) / 2, (1500 / 18 + 600 / 7) / 2, 100,
               (2000 / 22 + 500 / 6) / 2, 100, 100, 100]
    precision = [100, 100, 100, (100 + 500 / 6) / 2, 100, 100, 100]
    assert [v['jaccard'] for v in report['per_phase'].values()] == \
        pytest.approx(jaccard)
    assert [v['precision'] for v in report['per_phase'].values()] == \
        pytest.approx(precision)
    # Without clipping Prep's recall would be (104 + 100) / 2.
    assert [v['recall'] for v in report['per_phase'].values()] == [100] * 7
    # Jaccard, precision, recall: mean and std over phases.
    assert report['jaccard']['mean'] == pytest.approx(sum(jaccard) / 7)
    assert report['jaccard']['std'] == pytest.approx(sample_std(*jaccard))
    assert report['precision']['mean'] == pytest.approx(sum(precision) / 7)
    assert report['precision']['std'] == pytest.approx(sample_std(*precision))
    assert report['recall'] == {'mean': 100, 'std': 0}
    # Accuracy: mean and std over videos.
    assert report['accuracy']['mean'] == pytest.approx(
        (7900 / 84 + 3400 / 35) / 2)
    assert report['accuracy']['std'] == pytest.approx(
        sample_std(7900 / 84, 3400 / 35))
    assert report['per_video']['video_a']['accuracy'] == pytest.approx(
        7900 / 84)


def test_report_mean_versus_nanmean(video_a):
    report = relaxed_report({'a': video_a}, CHOLEC80, fps=1)
    # Phases 4 and 6 never occur: Main.m's plain mean gives NaN for Jaccard
    # and recall, its nanmean/nanstd give numbers for precision, and the std
    # of one video's accuracy is 0 as in MATLAB.
    assert math.isnan(report['jaccard']['mean'])
    assert math.isnan(report['jaccard']['std'])
    assert math.isnan(report['recall']['mean'])
    assert report['precision'] == {'mean': 100, 'std': 0}
    assert report['accuracy'] == {'mean': pytest.approx(7900 / 84), 'std': 0}
    assert math.isnan(report['per_phase']['GallbladderPackaging']['jaccard'])


def test_never_predicted_phase_precision():
    # Calot is never predicted. Its first 10 frames (late, -1) are forgiven,
    # so tp = 10 and precision = 10 / 0 = inf, clipped to 100 by Main.m.
    late = evaluate_video(np.array([0] * 12 + [1] * 12), np.zeros(24, int),
                          CHOLEC80, fps=1)
    assert late.precision[1] == math.inf
    assert late.recall[1] == pytest.approx(1000 / 12)
    report = relaxed_report(
        {'v': (np.array([0] * 12 + [1] * 12), np.zeros(24, int))}, CHOLEC80,
        fps=1)
    assert report['per_phase']['CalotTriangleDissection']['precision'] == 100
    # ClippingCutting after Prep, never predicted, -2 never forgiven:
    # precision 0 / 0 = NaN, skipped by nanmean.
    skipped = evaluate_video(np.array([0] * 12 + [2] * 12), np.zeros(24, int),
                             CHOLEC80, fps=1)
    assert math.isnan(skipped.precision[2])
    assert skipped.recall[2] == 0


def test_relaxed_window():
    assert relaxed_window(1) == 10
    assert relaxed_window(25) == 250
    assert relaxed_window(0.2) == 2
    with pytest.raises(ValueError, match='whole number'):
        relaxed_window(0.25)


def test_bad_sequences_are_named():
    with pytest.raises(ValueError, match="'v1'.*3 ground-truth.*2 predicted"):
        evaluate_video(np.zeros(3, int), np.zeros(2, int), CHOLEC80, 1, 'v1')
    with pytest.raises(ValueError, match=r"'v2'.*id 7 at frame 1"):
        evaluate_video(np.zeros(2, int), np.array([0, 7]), CHOLEC80, 1, 'v2')
