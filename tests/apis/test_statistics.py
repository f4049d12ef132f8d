"""mmdistill.apis.statistics and video_scores against numpy/scipy."""
import itertools
import statistics

import numpy as np
import pytest
from scipy import stats

from mmdistill.apis.statistics import (NUM_RESAMPLES, bootstrap_p_value,
                                       compare_paired, mean_std,
                                       percentile_interval, resample_indices,
                                       seed_statistic, wilcoxon_p_value)
from mmdistill.apis.video_scores import aggregate, score_array, video_scores
from mmdistill.evaluation.phase_metric import evaluate_phases

# Per-video accuracies of 8 test videos, two seeds, two methods.
A = [np.array([81., 74., 90., 66., 85., 79., 93., 70.]),
     np.array([78., 77., 88., 69., 80., 82., 91., 72.])]
B = [np.array([75., 76., 84., 60., 83., 71., 90., 69.]),
     np.array([74., 70., 86., 63., 79., 75., 92., 66.])]


def mean_of_seeds(values):
    return lambda i: np.mean([np.mean(v[i], axis=-1) for v in values],
                             axis=0)


def test_bootstrap_ci_matches_scipy():
    indices = resample_indices(8)
    samples = seed_statistic(A, aggregate('strict', 'accuracy'), indices)
    low, high = percentile_interval(samples)
    ref = stats.bootstrap((np.arange(8), ), mean_of_seeds(A),
                          n_resamples=NUM_RESAMPLES, method='percentile',
                          rng=np.random.default_rng(0))
    np.testing.assert_allclose(samples, ref.bootstrap_distribution)
    assert (low, high) == pytest.approx(
        (ref.confidence_interval.low, ref.confidence_interval.high))
    assert low < np.mean(A) < high


def test_paired_bootstrap_and_wilcoxon():
    indices = resample_indices(8)
    c = compare_paired(A, B, aggregate('strict', 'accuracy'), indices)
    assert c.difference == pytest.approx(np.mean(A) - np.mean(B))
    ref = stats.bootstrap(
        (np.arange(8), ),
        lambda i: mean_of_seeds(A)(i) - mean_of_seeds(B)(i),
        n_resamples=NUM_RESAMPLES, method='percentile',
        rng=np.random.default_rng(0))
    assert (c.low, c.high) == pytest.approx(
        (ref.confidence_interval.low, ref.confidence_interval.high))
    d = ref.bootstrap_distribution
    tail = min(np.sum(d <= 0), np.sum(d >= 0))
    assert c.p_bootstrap == pytest.approx(
        min(1, 2 * (1 + tail) / (NUM_RESAMPLES + 1)))
    # Wilcoxon from its definition: the exact null distribution of the
    # positive rank sum over all 2^8 sign patterns (no ties, no zeros).
    diffs = np.mean(A, axis=0) - np.mean(B, axis=0)
    ranks = stats.rankdata(np.abs(diffs))
    w = ranks[diffs > 0].sum()
    null = [sum(r for r, s in zip(ranks, signs) if s)
            for signs in itertools.product([0, 1], repeat=8)]
    centre = ranks.sum() / 2
    p = np.mean([abs(x - centre) >= abs(w - centre) for x in null])
    assert c.p_wilcoxon == pytest.approx(p)
    assert wilcoxon_p_value(A[0], A[0]) is None


def test_bootstrap_p_value_counts_the_tail():
    assert bootstrap_p_value(np.array([1., 2., 3., -1.])) == \
        pytest.approx(2 * 2 / 5)
    assert bootstrap_p_value(np.array([1., 2., 3.])) == pytest.approx(0.5)
    assert bootstrap_p_value(np.zeros(3)) == 1.0


@pytest.mark.parametrize('values, expected', [
    ([80.0, 90.0, 85.0], '85.0 ± 5.0'),
    ([70.04, None], '70.0'),
    ([10.0, 20.0], '15.0 ± 7.1'),
    ([None], 'n/a'),
])
def test_mean_std_over_seeds(values, expected):
    assert mean_std(values) == expected
    present = [v for v in values if v is not None]
    if len(present) > 1:
        assert expected == (f'{np.mean(present):.1f} ± '
                            f'{np.std(present, ddof=1):.1f}')
        assert statistics.stdev(present) == pytest.approx(
            np.std(present, ddof=1))


def test_aggregates_reproduce_the_evaluator():
    """Aggregating every video's scores gives the PhaseMetric numbers, also
    for the phase-wise official metrics and phases absent from videos."""
    rng = np.random.default_rng(3)
    videos = {}
    for k, length in enumerate((60, 45, 80)):
        gt = np.sort(rng.integers(0, 5 + k, length))
        pred = np.where(rng.random(length) < 0.8, gt,
                        rng.integers(0, 7, length))
        videos[f'v{k}'] = (gt, pred)
    reports = evaluate_phases(videos, 'cholec80', 1, 'both')
    scores = video_scores(videos, 'cholec80', 1)
    names = tuple(videos)
    for mode, metrics in (('official', ('accuracy', 'precision', 'recall',
                                        'jaccard')),
                          ('strict', ('accuracy', 'precision', 'recall',
                                      'jaccard', 'f1'))):
        for metric in metrics:
            values = score_array(scores, mode, metric, names)
            got = aggregate(mode, metric)(values, 0)
            want = reports[mode][metric]['mean']
            if np.isnan(want):
                assert np.isnan(got), (mode, metric)
            else:
                assert got == pytest.approx(want), (mode, metric)
