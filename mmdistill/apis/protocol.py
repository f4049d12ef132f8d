"""The protocol card at the top of ``results.md``.

Funke et al. (2023) show that phase-recognition numbers are not comparable
unless the protocol is stated next to them: data and splits, frame rate, the
metric convention, where the model was selected, the seeds, and the code.
"""
import importlib.metadata
import os.path as osp
import subprocess
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config

from .runs import percent
from .statistics import BOOTSTRAP_SEED, CONFIDENCE, NUM_RESAMPLES

PACKAGES = ('mmdistill', 'torch', 'mmengine', 'mmpretrain', 'mmcv', 'numpy',
            'scipy')
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
METRIC_CONVENTIONS = (
    '- Metrics: **official** = relaxed: the Cholec80/M2CAI16 MATLAB '
    'evaluation, transitions within 10 s of a phase boundary forgiven; '
    'accuracy is averaged over test videos, precision, recall and Jaccard '
    'per phase over videos and then over phases; a phase absent from a '
    "video's ground truth is undefined (skipped) for that video. "
    '**strict** = no relaxation (Funke et al. 2023): per video, precision, '
    'recall, Jaccard and F1 per phase from the unrelaxed counts, averaged '
    'over phases, then over videos; a value whose denominator is 0 (recall '
    'of a phase absent from the video, precision of a phase never '
    "predicted) is undefined and skipped, unlike scikit-learn's default, "
    'which counts it as 0. Entries in %.')


@dataclass
class Protocol:
    """What the card states, gathered before and during the runs.

    Attributes:
        dataset: Phase vocabulary of the metric (``'cholec80'``, ...).
        fps: Frame rate of frames and metrics.
        split_scheme: The frame datasets' split scheme.
        split_videos: The videos per split (training: the full pool).
        frame_config: The frame model's config file.
        temporal_config: The temporal model's, None for frame-level results.
        selection: How the checkpoints were chosen.
        fractions: The label fractions.
        seeds: The low-data seeds of the fractions below 1.
        checkpoints: ``{method: checkpoint}``.
    """
    dataset: str
    fps: float
    split_scheme: str
    split_videos: Dict[str, List[str]]
    frame_config: str
    temporal_config: Optional[str]
    selection: str
    fractions: Sequence[float]
    seeds: Sequence[int]
    checkpoints: Dict[str, str]


def selection_text(cfg: Config, val_videos: Sequence[str]) -> str:
    """Where a config selects its model."""
    save_best = cfg.get('default_hooks', {}).get('checkpoint', {}).get(
        'save_best')
    if cfg.get('val_cfg') is None or cfg.get('val_dataloader') is None:
        return 'none: the last epoch (the split scheme has no validation)'
    return (f'best `{save_best}` on the {len(val_videos)} validation videos '
            f'({", ".join(val_videos)}), never on test videos')


def package_versions() -> Dict[str, str]:
    """Installed versions of the packages the numbers depend on."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def git_commit(repo: str = REPO) -> str:
    """``HEAD`` of the checkout the code runs from, marked when it has
    uncommitted changes; ``'unknown'`` outside a git checkout."""

    def git(*args: str) -> str:
        return subprocess.run(['git', '-C', repo, *args],
                              capture_output=True,
                              text=True,
                              check=True).stdout.strip()

    try:
        commit = git('rev-parse', 'HEAD')
        dirty = git('status', '--porcelain', '--untracked-files=no')
    except (OSError, subprocess.CalledProcessError):
        return 'unknown (not a git checkout)'
    return f'{commit} (with uncommitted changes)' if dirty else commit


def _shown(path: str) -> str:
    """``path`` relative to the repository when inside it."""
    inside = path.startswith(REPO + osp.sep)
    return f'`{osp.relpath(path, REPO) if inside else path}`'


def protocol_card(protocol: Protocol) -> List[str]:
    """The markdown lines of the card."""
    videos = protocol.split_videos
    counts = ', '.join(f'{split} {len(names)}'
                       for split, names in videos.items())
    temporal = (
        _shown(protocol.temporal_config)
        if protocol.temporal_config else 'none (frame-level results)')
    checkpoints = ', '.join(f'{name} = {_shown(path)}'
                            for name, path in protocol.checkpoints.items())
    fractions = ', '.join(f'{percent(f)} %' for f in protocol.fractions)
    seeds = ', '.join(str(s) for s in protocol.seeds) or 'none'
    versions = ', '.join(
        f'{name} {version}' for name, version in package_versions().items())
    return [
        '## Protocol', '',
        f'- Dataset: {protocol.dataset}; split scheme '
        f'`{protocol.split_scheme}`; videos per split: {counts}',
        f'- Test videos ({len(videos.get("test", []))}): '
        f'{", ".join(videos.get("test", []))}',
        f'- Frame rate: {protocol.fps:g} fps (frames, features and metrics)',
        f'- Frame model: {_shown(protocol.frame_config)}; temporal model: '
        f'{temporal}',
        f'- Checkpoints: {checkpoints}',
        f'- Model selection (frame and temporal model): '
        f'{protocol.selection}',
        f'- Labels: {fractions} of the labelled training videos; below '
        '100 % a fixed subset of videos per low-data seed (the datasets\' '
        f'`low_data_seed`), the same for every method. Seeds: {seeds}',
        METRIC_CONVENTIONS,
        '- Statistics: mean ± sample standard deviation over the seeds; '
        f'[{CONFIDENCE:.0%} CI]: percentile bootstrap over test videos '
        f'({NUM_RESAMPLES} resamples of the videos with replacement, numpy '
        f'seed {BOOTSTRAP_SEED}, the same resamples for every seed and '
        'method; each resample averaged over seeds). Paired comparisons: '
        'the same resamples for both methods.',
        f'- Software: {versions}; commit {git_commit()}', ''
    ]
