"""Named video splits and seeded low-data subsets.

Split schemes (``split_scheme`` → split names → video ids):

- ``cholec80_40_8_32``: train videos 1-40, val 41-48, test 49-80 (TeCNO,
  SelfSupSurg).
- ``cholec80_40_40``: train 1-40, test 41-80 (EndoNet, SV-RCNet, the paper).
  There is no val split.
- ``m2cai16_27_14``: train ``workflow_video_01..27``, test
  ``test_workflow_video_01..14`` (the challenge split; no val split).
- ``all``: a single split ``all`` with every prepared video.
- ``synthetic``: Cholec80's 40/8/32 proportions applied to the sorted
  prepared videos: the first ``ceil(n / 2)`` train, then
  ``max(1, round(rest / 5))`` val, the remaining test (4 videos give
  2/1/1, 6 give 3/1/2, 80 give 40/8/32).

Low-data subsets (:func:`low_data_subset`) rank a split's videos by
``sha256(f'{seed}/{video}')`` and keep the first ``k``. The ranking is fixed
forever (no dependence on Python's or NumPy's random generators), and for one
seed smaller subsets are nested in larger ones (the 5-video subset lies in
the 10-video one), so a low-data curve changes one thing at a time. Different
seeds give the paper's "several fixed splits".
"""
import hashlib
import math
from typing import Dict, List, Optional, Sequence, Tuple


def _ids(template: str, first: int, last: int) -> Tuple[str, ...]:
    return tuple(template.format(i) for i in range(first, last + 1))


FIXED_SCHEMES: Dict[str, Dict[str, Tuple[str, ...]]] = {
    'cholec80_40_8_32': {
        'train': _ids('video{:02d}', 1, 40),
        'val': _ids('video{:02d}', 41, 48),
        'test': _ids('video{:02d}', 49, 80),
    },
    'cholec80_40_40': {
        'train': _ids('video{:02d}', 1, 40),
        'test': _ids('video{:02d}', 41, 80),
    },
    'm2cai16_27_14': {
        'train': _ids('workflow_video_{:02d}', 1, 27),
        'test': _ids('test_workflow_video_{:02d}', 1, 14),
    },
}
RELATIVE_SCHEMES: Dict[str, Tuple[str, ...]] = {
    'all': ('all', ),
    'synthetic': ('train', 'val', 'test'),
}


def split_names(scheme: str) -> Tuple[str, ...]:
    """The split names of ``scheme``."""
    if scheme in FIXED_SCHEMES:
        return tuple(FIXED_SCHEMES[scheme])
    if scheme in RELATIVE_SCHEMES:
        return RELATIVE_SCHEMES[scheme]
    raise ValueError(f'Unknown split_scheme {scheme!r}; expected one of '
                     f'{sorted([*FIXED_SCHEMES, *RELATIVE_SCHEMES])}')


def _synthetic_split(videos: List[str], split: str) -> List[str]:
    if len(videos) < 3:
        raise ValueError(
            f'split_scheme "synthetic" needs at least 3 prepared videos, got '
            f'{len(videos)}; generate more or pass videos=[...]')
    num_train = math.ceil(len(videos) / 2)
    num_val = max(1, math.floor((len(videos) - num_train) / 5 + 0.5))
    bounds = {
        'train': (0, num_train),
        'val': (num_train, num_train + num_val),
        'test': (num_train + num_val, len(videos)),
    }
    first, last = bounds[split]
    return videos[first:last]


def resolve_split(scheme: str, split: str,
                  prepared: Sequence[str]) -> List[str]:
    """Video ids of ``split`` in ``scheme``.

    Args:
        scheme (str): A split scheme (module docstring).
        split (str): One of :func:`split_names` of ``scheme``.
        prepared (Sequence[str]): Videos present in the prepared data.

    Returns:
        list[str]: The split's videos, in scheme order.

    Raises:
        ValueError: For an unknown scheme or split, or when videos of a
            fixed split were not prepared (the message lists them).
    """
    names = split_names(scheme)
    if split not in names:
        raise ValueError(f'split_scheme {scheme!r} has splits {list(names)}, '
                         f'not {split!r}')
    if scheme == 'all':
        return sorted(prepared)
    if scheme == 'synthetic':
        return _synthetic_split(sorted(prepared), split)
    videos = list(FIXED_SCHEMES[scheme][split])
    missing = sorted(set(videos) - set(prepared))
    if missing:
        raise ValueError(
            f'split {split!r} of {scheme!r} needs videos that were not '
            f'prepared: {missing}; prepare them (tools/data/'
            'prepare_phase_dataset.py) or choose videos with videos=[...]')
    return videos


def subset_size(num_videos: int,
                count: Optional[int] = None,
                fraction: Optional[float] = None) -> int:
    """Number of videos in a low-data subset of ``num_videos`` videos.

    ``fraction`` rounds half up with at least one video (12.5 % of 40 is 5,
    25 % is 10).

    Raises:
        ValueError: Unless exactly one of ``count`` and ``fraction`` is given
            and it selects between 1 and ``num_videos`` videos.
    """
    if (count is None) == (fraction is None):
        raise ValueError('give exactly one of num_videos and fraction')
    if fraction is not None:
        if not 0 < fraction <= 1:
            raise ValueError(f'fraction must be in (0, 1], got {fraction}')
        count = max(1, math.floor(fraction * num_videos + 0.5))
    if not 1 <= count <= num_videos:
        raise ValueError(f'num_videos must be in [1, {num_videos}], got '
                         f'{count}')
    return count


def low_data_subset(videos: Sequence[str],
                    num_videos: Optional[int] = None,
                    fraction: Optional[float] = None,
                    seed: int = 0) -> List[str]:
    """A fixed, seeded subset of ``videos`` (ranking in module docstring).

    Args:
        videos (Sequence[str]): The split to draw from.
        num_videos (int, optional): Subset size.
        fraction (float, optional): Subset size as a share of ``videos``.
        seed (int): Which of the fixed subsets.

    Returns:
        list[str]: The chosen videos, in the order of ``videos``.
    """
    count = subset_size(len(videos), num_videos, fraction)

    def rank(video: str) -> str:
        return hashlib.sha256(f'{seed}/{video}'.encode()).hexdigest()

    chosen = set(sorted(videos, key=rank)[:count])
    return [video for video in videos if video in chosen]
