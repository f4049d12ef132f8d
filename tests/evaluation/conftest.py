"""Two hand-made Cholec80 videos at 1 fps (relaxed window 10 frames).

Phase ids: 0 Preparation, 1 CalotTriangleDissection, 2 ClippingCutting,
3 GallbladderDissection, 4 GallbladderPackaging, 5 CleaningCoagulation,
6 GallbladderRetraction. ``runs((phase, n), ...)`` concatenates runs.

Video A (84 frames; phases 4 and 6 absent from the ground truth)::

    frames   0-21 22-24 25-28 29-39 40-51 52-60 61-62 63-71 72-73 74-83
    gt        0     0     1     1     2     3     3     3     5     5
    pred      0     1     0     1     2     3     4     3     3     5
              ok  early  late   ok    ok    ok  absent  ok   late   ok
                                           phase 4 predicted  (-2)

Video B (35 frames, every phase 5 frames long, shorter than the window)::

    gt    0 0 0 0 0 | 1 1 1 1 1 | 2 x5 | 3 x5 | 4 4 4 4 4 | 5 x5 | 6 x5
    pred  0 0 0 1 1 | 1 1 3 1 1 | 2 x5 | 3 x5 | 4 4 4 6 6 | 5 x5 | 6 x5
"""
from typing import Dict, Tuple

import numpy as np
import pytest


def runs(*pairs: Tuple[int, int]) -> np.ndarray:
    return np.concatenate([np.full(n, phase) for phase, n in pairs])


@pytest.fixture
def video_a() -> Tuple[np.ndarray, np.ndarray]:
    gt = runs((0, 25), (1, 15), (2, 12), (3, 20), (5, 12))
    pred = runs((0, 22), (1, 3), (0, 4), (1, 11), (2, 12), (3, 9), (4, 2),
                (3, 9), (3, 2), (5, 10))
    return gt, pred


@pytest.fixture
def video_b() -> Tuple[np.ndarray, np.ndarray]:
    gt = runs(*[(phase, 5) for phase in range(7)])
    pred = runs((0, 3), (1, 2), (1, 2), (3, 1), (1, 2), (2, 5), (3, 5),
                (4, 3), (6, 2), (5, 5), (6, 5))
    return gt, pred


@pytest.fixture
def videos(video_a, video_b) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
    return {'video_a': video_a, 'video_b': video_b}
