"""Uncertainty of the phase benchmark's numbers: seeds and test videos.

Funke et al. (2023) ask for the variation over videos next to the numbers
of a phase-recognition table. We report three things:

* mean ± sample standard deviation over the low-data seeds (which labelled
  videos were used), as the tables always did;
* a 95 % percentile bootstrap confidence interval over test videos: the test
  videos are resampled with replacement, each resample's metric is computed
  exactly as the evaluator computes it (so phase-wise official metrics are
  re-aggregated over the resampled videos), averaged over seeds;
* for two methods on the same seeds and test videos, the paired bootstrap of
  their difference (the same resamples for both) with its percentile CI and
  two-sided p-value, and the Wilcoxon signed-rank test over videos where a
  metric has one value per video.

Resamples come from ``numpy.random.default_rng(BOOTSTRAP_SEED)`` drawn as
``integers(0, V, (n, V))``, the draw of :func:`scipy.stats.bootstrap`, so
every method, seed and rerun sees the same resamples.
"""
import statistics as pystats
import warnings
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np
from scipy import stats

BOOTSTRAP_SEED = 0
NUM_RESAMPLES = 2000
CONFIDENCE = 0.95

#: ``aggregate(values, axis)``: the metric over the videos along ``axis``.
Aggregate = Callable[[np.ndarray, int], np.ndarray]


def resample_indices(num_videos: int,
                     num_resamples: int = NUM_RESAMPLES,
                     seed: int = BOOTSTRAP_SEED) -> np.ndarray:
    """Bootstrap resamples of ``num_videos`` test videos, ``[n, V]``."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, num_videos, (num_resamples, num_videos))


def seed_statistic(values: Sequence[np.ndarray], aggregate: Aggregate,
                   indices: np.ndarray) -> np.ndarray:
    """The mean over seeds of the metric of each resample.

    Args:
        values: Per seed, the per-video values ``[V]`` or ``[V, P]`` (one
            value per phase), videos in the same order for every seed.
        aggregate: How the metric combines videos.
        indices: Resamples ``[n, V]`` (or one sample ``[V]``).

    Returns:
        ``[n]`` (or a scalar for one sample).
    """
    axis = indices.ndim - 1
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)  # all-NaN slices
        per_seed = [aggregate(np.asarray(v)[indices], axis) for v in values]
    return np.mean(per_seed, axis=0)


def percentile_interval(samples: np.ndarray,
                        confidence: float = CONFIDENCE) -> tuple:
    """The central ``confidence`` interval of the bootstrap ``samples``;
    NaN resamples (a metric undefined on that resample) are left out."""
    samples = samples[~np.isnan(samples)]
    if not samples.size:
        return float('nan'), float('nan')
    alpha = (1 - confidence) / 2
    low, high = np.percentile(samples, [alpha * 100, (1 - alpha) * 100])
    return float(low), float(high)


def bootstrap_p_value(differences: np.ndarray) -> float:
    """Two-sided p-value of "no difference" from bootstrap differences:
    twice the smaller tail beyond 0, with the +1 correction of Davison &
    Hinkley (1997), so never 0."""
    differences = differences[~np.isnan(differences)]
    n = differences.size
    if not n:
        return float('nan')
    below = (1 + np.count_nonzero(differences <= 0)) / (n + 1)
    above = (1 + np.count_nonzero(differences >= 0)) / (n + 1)
    return float(min(1.0, 2 * min(below, above)))


@dataclass
class PairedComparison:
    """Method A minus method B on the same seeds and test videos.

    Attributes:
        difference: A - B of the mean over seeds, in metric units.
        low: Lower end of the bootstrap CI of the difference.
        high: Upper end.
        p_bootstrap: Two-sided paired-bootstrap p-value.
        p_wilcoxon: Wilcoxon signed-rank p-value over videos (per-video
            values averaged over seeds); None where the metric has no value
            per video (phase-wise) or every difference is 0.
    """
    difference: float
    low: float
    high: float
    p_bootstrap: float
    p_wilcoxon: Optional[float]


def wilcoxon_p_value(a: np.ndarray, b: np.ndarray) -> Optional[float]:
    """Two-sided Wilcoxon signed-rank p-value of paired per-video values;
    None when it is undefined (no non-zero finite difference)."""
    d = np.asarray(a, float) - np.asarray(b, float)
    d = d[np.isfinite(d)]
    if not np.count_nonzero(d):
        return None
    return float(stats.wilcoxon(d).pvalue)


def compare_paired(values_a: Sequence[np.ndarray],
                   values_b: Sequence[np.ndarray], aggregate: Aggregate,
                   indices: np.ndarray) -> PairedComparison:
    """Paired bootstrap (and, for per-video metrics, Wilcoxon) of A - B.

    Args:
        values_a: Per seed, method A's per-video values (seeds in the same
            order as ``values_b``, videos in the same order everywhere).
        values_b: Method B's.
        aggregate: How the metric combines videos.
        indices: Resamples ``[n, V]``, the same for both methods.
    """
    everything = np.arange(indices.shape[1])
    difference = float(
        seed_statistic(values_a, aggregate, everything) -
        seed_statistic(values_b, aggregate, everything))
    samples = (
        seed_statistic(values_a, aggregate, indices) -
        seed_statistic(values_b, aggregate, indices))
    low, high = percentile_interval(samples)
    per_video = np.asarray(values_a[0]).ndim == 1
    p_wilcoxon = wilcoxon_p_value(
        np.mean(values_a, axis=0), np.mean(values_b, axis=0)) \
        if per_video else None
    return PairedComparison(difference, low, high,
                            bootstrap_p_value(samples), p_wilcoxon)


def mean_std(values: Sequence[Optional[float]]) -> str:
    """``'mean ± sample std'`` (one decimal) of the non-missing values."""
    values = [v for v in values if v is not None and not np.isnan(v)]
    if not values:
        return 'n/a'
    if len(values) == 1:
        return f'{values[0]:.1f}'
    return f'{pystats.fmean(values):.1f} ± {pystats.stdev(values):.1f}'
