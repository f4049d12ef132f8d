"""``results.md`` of the phase benchmark: protocol, tables, comparisons, plot.

Every number comes from the runs' return values (:mod:`.stages`): the
evaluator's metrics for the point estimates, the per-video scores for the
bootstrap over test videos.
"""
import itertools
import os.path as osp
import shutil
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np

from mmdistill.utils.fileio import atomic_write, write_text_atomic
from mmdistill.visualization import draw_label_efficiency
from .errors import BenchmarkError
from .protocol import Protocol, protocol_card
from .runs import Run, percent
from .statistics import (compare_paired, mean_std, percentile_interval,
                         resample_indices, seed_statistic)
from .video_scores import METRICS, aggregate, score_array

TITLES = {
    'official': ('Official metrics', 'relaxed 10 s phase boundaries, as the '
                 'Cholec80/M2CAI16 MATLAB script'),
    'strict': ('Strict metrics', 'no relaxation, video-wise (Funke et al. '
               '2023)'),
}


@dataclass
class RunResult:
    """What the test stage of one run returned.

    Attributes:
        metrics: The evaluator's metrics (``phase/accuracy``,
            ``phase/strict_f1``, ...).
        prefix: The phase metric's prefix (``'phase'``).
        per_video: :func:`.video_scores.video_scores` of the test videos.
        test_videos: The test videos, in evaluation order.
        out_dir: The folder of its prediction files and ribbons.
        dataset: The phase vocabulary it was evaluated with.
        fps: The frame rate it was evaluated at.
    """
    metrics: Dict[str, float]
    prefix: str
    per_video: Dict[str, dict]
    test_videos: Tuple[str, ...]
    out_dir: str
    dataset: str
    fps: float

    @classmethod
    def from_outputs(cls, outputs: dict) -> 'RunResult':
        """From the outputs of :func:`.stages.test_stage`."""
        return cls(outputs['metrics'], outputs['metric_prefix'],
                   outputs['per_video'], tuple(outputs['test_videos']),
                   osp.dirname(outputs['results_path']), outputs['dataset'],
                   outputs['fps'])

    def value(self, mode: str, metric: str) -> float:
        """The evaluator's number for ``metric`` of ``mode``."""
        name = f'strict_{metric}' if mode == 'strict' else metric
        return self.metrics[f'{self.prefix}/{name}']

    def scores(self, mode: str, metric: str) -> np.ndarray:
        return score_array(self.per_video, mode, metric, self.test_videos)


Rows = Dict[Tuple[str, float], List[RunResult]]


def _number(value: float) -> str:
    return 'n/a' if np.isnan(value) else f'{value:.1f}'


def _interval(low: float, high: float) -> str:
    return f'[{_number(low)}, {_number(high)}]'


def table_cell(results: Sequence[RunResult], mode: str, metric: str,
               indices: np.ndarray) -> str:
    """``'mean ± std [CI low, CI high]'`` of one metric over the seeds."""
    values = [r.value(mode, metric) for r in results]
    samples = seed_statistic([r.scores(mode, metric) for r in results],
                             aggregate(mode, metric), indices)
    return f'{mean_std(values)} {_interval(*percentile_interval(samples))}'


def results_table(mode: str, rows: Rows, indices: np.ndarray) -> List[str]:
    """The markdown section of one metric mode; ``rows`` maps (method,
    fraction) to the results of its seeds."""
    title, explanation = TITLES[mode]
    metrics = METRICS[mode]
    names = ' | '.join(m.capitalize() for m in metrics)
    aligns = ' | '.join('---:' for _ in metrics)
    lines = [
        f'## {title}', '',
        f'{explanation.capitalize()}; mean ± std over seeds [95 % bootstrap '
        'CI over test videos].', '', f'| Method | Labels | Seeds | {names} |',
        f'| --- | ---: | ---: | {aligns} |'
    ]
    for (method, fraction), results in rows.items():
        cells = [table_cell(results, mode, m, indices) for m in metrics]
        lines.append(f'| {method} | {percent(fraction)} % | {len(results)} | '
                     + ' | '.join(cells) + ' |')
    return lines + ['']


def _p(value) -> str:
    if value is None or np.isnan(value):
        return 'n/a'
    return f'{value:.3f}' if value >= 0.001 else f'{value:.1e}'


def comparisons_table(mode: str, rows: Rows, seeds: Dict[tuple, List[int]],
                      indices: np.ndarray) -> List[str]:
    """Paired comparisons of every pair of methods at each fraction."""
    title = TITLES[mode][0]
    lines = [
        f'## Paired comparisons, {title.lower()}', '',
        'A - B on the same seeds and test videos: the difference of the '
        'means over seeds, its 95 % paired-bootstrap CI and two-sided p; '
        'the Wilcoxon signed-rank p over test videos where the metric has '
        'one value per video (n/a for the phase-wise official metrics).', '',
        '| Labels | A | B | Metric | A - B | 95 % CI | p (bootstrap) '
        '| p (Wilcoxon) |', '| ---: | --- | --- | --- | ---: | ---: | ---: '
        '| ---: |'
    ]
    fractions = dict.fromkeys(fraction for _, fraction in rows)
    methods = list(dict.fromkeys(method for method, _ in rows))
    for fraction in fractions:
        for a, b in itertools.combinations(methods, 2):
            if (a, fraction) not in rows or (b, fraction) not in rows or \
                    seeds[a, fraction] != seeds[b, fraction]:
                continue
            for metric in METRICS[mode]:
                c = compare_paired(
                    [r.scores(mode, metric) for r in rows[a, fraction]],
                    [r.scores(mode, metric) for r in rows[b, fraction]],
                    aggregate(mode, metric), indices)
                lines.append(
                    f'| {percent(fraction)} % | {a} | {b} | '
                    f'{metric.capitalize()} | {c.difference:+.1f} | '
                    f'{_interval(c.low, c.high)} | {_p(c.p_bootstrap)} | '
                    f'{_p(c.p_wilcoxon)} |')
    return lines + [''] if len(lines) > 6 else []


def label_efficiency_panels(rows: Rows, indices: np.ndarray) -> dict:
    """``{'<mode> <metric>': {method: [(percent, mean, low, high)]}}``."""
    panels: Dict[str, Dict[str, list]] = {}
    for mode, metrics in METRICS.items():
        for metric in metrics:
            panel = panels.setdefault(f'{mode} {metric}', {})
            for (method, fraction), results in rows.items():
                scores = [r.scores(mode, metric) for r in results]
                mean = float(np.mean([r.value(mode, metric) for r in results]))
                low, high = percentile_interval(
                    seed_statistic(scores, aggregate(mode, metric), indices))
                panel.setdefault(method, []).append(
                    (fraction * 100, mean, low, high))
    return panels


def save_label_efficiency(path: str, rows: Rows, indices: np.ndarray) -> None:
    """Draw the label-efficiency plot to ``path`` (PNG, atomically)."""
    fig = draw_label_efficiency(label_efficiency_panels(rows, indices))
    with atomic_write(path, binary=True) as f:
        fig.savefig(f, format='png')


def low_data_section(runs: Sequence[Run],
                     train_videos: Dict[Run, List[str]]) -> List[str]:
    """The videos of each low-data seed; a seed that repeats another's videos
    (a pool too small for distinct subsets) is marked, as its row's spread
    understates the seed-to-seed variation."""
    lines = ['## Low-data seeds', '']
    method = runs[0].method
    seen: Dict[tuple, int] = {}
    for run in runs:
        if run.method != method or run.fraction == 1:
            continue
        videos = train_videos[run]
        key = (run.fraction, tuple(videos))
        same = f' (the videos of seed {seen[key]})' if key in seen else ''
        seen.setdefault(key, run.seed)
        lines.append(f'- {percent(run.fraction)} %, seed {run.seed}: '
                     f'{", ".join(videos)}{same}')
    return lines + [''] if len(lines) > 2 else []


def copy_ribbons(folder: str, runs: Sequence[Run],
                 results: Dict[Run, RunResult]) -> List[str]:
    """Copy to ``folder`` the ribbon of the first test video of each
    method's first run; returns the markdown lines showing them."""
    first_runs: Dict[str, Run] = {}
    for run in runs:
        first_runs.setdefault(run.method, run)
    lines = []
    for method, run in first_runs.items():
        video = sorted(results[run].test_videos)[0]
        source = osp.join(results[run].out_dir, f'{video}_ribbon.png')
        name = f'{method}_{video}_ribbon.png'
        with atomic_write(osp.join(folder, name), binary=True) as f, \
                open(source, 'rb') as src:
            shutil.copyfileobj(src, f)
        lines += [
            f'**{method}**, {percent(run.fraction)} % labels, seed '
            f'{run.seed}, {video}:', '',
            f'![{method} {video}]({osp.basename(folder)}/{name})', ''
        ]
    return lines


def group_results(runs: Sequence[Run],
                  results: Dict[Run, RunResult]) -> Tuple[Rows, dict]:
    """Rows by (method, fraction) and their seeds, checking that every run
    was tested on the same videos.

    Raises:
        BenchmarkError: If two runs were tested on different videos.
    """
    rows: Rows = {}
    seeds: Dict[tuple, List[int]] = {}
    first = results[runs[0]].test_videos
    for run in runs:
        if results[run].test_videos != first:
            raise BenchmarkError(
                f'run {run.key} was tested on {list(results[run].test_videos)}'
                f', run {runs[0].key} on {list(first)}; every run must test '
                'on the same videos')
        rows.setdefault((run.method, run.fraction), []).append(results[run])
        seeds.setdefault((run.method, run.fraction), []).append(run.seed)
    return rows, seeds


def write_report(work_dir: str, suffix: str, protocol: Protocol,
                 runs: Sequence[Run], results: Dict[Run, RunResult],
                 train_videos: Dict[Run, List[str]]) -> str:
    """Write ``results<suffix>.md``, its plot and ribbons; returns its path."""
    rows, seeds = group_results(runs, results)
    indices = resample_indices(len(results[runs[0]].test_videos))
    plot = f'label_efficiency{suffix}.png'
    save_label_efficiency(osp.join(work_dir, plot), rows, indices)
    lines = ['# Phase recognition benchmark', ''] + protocol_card(protocol)
    for mode in METRICS:
        lines += results_table(mode, rows, indices)
    for mode in METRICS:
        lines += comparisons_table(mode, rows, seeds, indices)
    lines += [
        '## Label efficiency', '',
        'Each metric against the share of labelled videos: mean over seeds, '
        'band: 95 % bootstrap CI over test videos.', '',
        f'![label efficiency]({plot})', ''
    ]
    lines += low_data_section(runs, train_videos)
    folder = osp.join(work_dir, f'ribbons{suffix}')
    lines += ['## Phase ribbons', ''] + copy_ribbons(folder, runs, results)
    path = osp.join(work_dir, f'results{suffix}.md')
    write_text_atomic(path, '\n'.join(lines))
    return path
