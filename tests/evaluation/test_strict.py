"""Strict metrics against hand-worked numbers and a brute-force reference."""
import math

import numpy as np
import pytest

from mmdistill.datasets.phases import get_phases
from mmdistill.evaluation.strict import (edit_score, evaluate_video,
                                         levenshtein, segment_counts,
                                         strict_report)

CHOLEC80 = get_phases('cholec80')
NAN = float('nan')


def brute_force_video(gt, pred, num_phases):
    """Per-video macro metrics by counting frames one by one."""
    per_key = {'precision': [], 'recall': [], 'f1': [], 'jaccard': []}
    for p in range(num_phases):
        tp = sum(1 for g, q in zip(gt, pred) if g == p and q == p)
        fp = sum(1 for g, q in zip(gt, pred) if g != p and q == p)
        fn = sum(1 for g, q in zip(gt, pred) if g == p and q != p)
        for key, num, den in (('precision', tp, tp + fp),
                              ('recall', tp, tp + fn),
                              ('f1', 2 * tp, 2 * tp + fp + fn),
                              ('jaccard', tp, tp + fp + fn)):
            if den:
                per_key[key].append(100 * num / den)
    video = {k: sum(v) / len(v) for k, v in per_key.items()}
    video['accuracy'] = 100 * sum(g == q for g, q in zip(gt, pred)) / len(gt)
    return video


def test_video_a_by_hand(video_a):
    scores = evaluate_video(*video_a, num_phases=7)
    # Unrelaxed counts per phase (pred / gt / tp):
    # 0: 26/25/22, 1: 14/15/11, 2: 12/12/12, 3: 20/20/18, 4: 2/0/0,
    # 5: 10/12/10, 6: 0/0/0.
    np.testing.assert_allclose(
        scores.precision,
        [2200 / 26, 1100 / 14, 100, 90, 0, 100, NAN])
    np.testing.assert_allclose(
        scores.recall, [88, 1100 / 15, 100, 90, NAN, 1000 / 12, NAN])
    np.testing.assert_allclose(
        scores.f1, [4400 / 51, 2200 / 29, 100, 90, 0, 2000 / 22, NAN])
    np.testing.assert_allclose(
        scores.jaccard, [2200 / 29, 1100 / 18, 100, 1800 / 22, 0, 1000 / 12,
                         NAN])
    assert scores.accuracy == pytest.approx(7300 / 84)


def test_segmental_scores_by_hand(video_a):
    gt, pred = video_a
    # gt segments 0 1 2 3 5, pred segments 0 1 0 1 2 3 4 3 5: delete the
    # extra 1, 0, 4 and 3 -> distance 4 over 9 segments.
    assert edit_score(gt, pred) == pytest.approx(100 * (1 - 4 / 9))
    # IoU of the predicted segments with their best same-phase gt segment:
    # 0[0,22) 22/25; 1[22,25) 0; 0[25,29) 0; 1[29,40) 11/15; 2 1.0;
    # 3[52,61) 9/20; 4 none; 3[63,74) 9/22 (gt segment already hit at 0.1
    # and 0.25); 5[74,84) 10/12.
    assert segment_counts(gt, pred, 0.10) == (5, 4, 0)
    assert segment_counts(gt, pred, 0.25) == (5, 4, 0)
    assert segment_counts(gt, pred, 0.50) == (4, 5, 1)
    report = strict_report({'a': video_a}, CHOLEC80)
    assert report['f1@10']['mean'] == pytest.approx(100 * 10 / 14)
    assert report['f1@50']['mean'] == pytest.approx(100 * 8 / 14)
    assert math.isnan(report['f1@50']['std'])


def test_levenshtein():
    assert levenshtein([0, 1, 2], [0, 1, 2]) == 0
    assert levenshtein([0, 1, 2], [0, 2]) == 1
    assert levenshtein([1, 0], [0, 1]) == 2
    assert levenshtein([], [3, 4]) == 2


def test_report_matches_brute_force(videos):
    rng = np.random.default_rng(0)
    videos = dict(videos)
    for i in range(3):
        gt = np.sort(rng.integers(0, 7, 60))
        pred = np.where(rng.random(60) < 0.3, rng.integers(0, 7, 60), gt)
        videos[f'random_{i}'] = (gt, pred)
    report = strict_report(videos, CHOLEC80)
    expected = [brute_force_video(gt, pred, 7) for gt, pred in videos.values()]
    for key in ('accuracy', 'precision', 'recall', 'f1', 'jaccard'):
        values = np.array([e[key] for e in expected])
        assert report[key]['mean'] == pytest.approx(values.mean()), key
        assert report[key]['std'] == pytest.approx(values.std(ddof=1)), key
        assert report['per_video']['video_a'][key] == pytest.approx(
            expected[0][key])


def test_per_phase_skips_undefined(videos):
    report = strict_report(videos, CHOLEC80)
    # Retraction is undefined in video A; in B it has 5 tp and 2 fp (the
    # early frames 23-24 that the official script forgives).
    assert report['per_phase']['GallbladderRetraction']['jaccard'] == \
        pytest.approx(500 / 7)
    # Packaging: Jaccard 0 in A (predicted, absent) and 3/5 in B.
    assert report['per_phase']['GallbladderPackaging']['jaccard'] == \
        pytest.approx(30)
    # Its recall is undefined in A, 3/5 in B.
    assert report['per_phase']['GallbladderPackaging']['recall'] == \
        pytest.approx(60)
