"""Session fixtures shared by all test folders: synthetic surgical data."""
import pytest

from mmdistill.datasets import (PrepareOptions, generate_synthetic_dataset,
                                prepare_dataset)

NUM_VIDEOS = 4
SECONDS = (36., 44.)


@pytest.fixture(scope='session')
def synthetic_raw_dir(tmp_path_factory) -> str:
    """Four synthetic 160x128 videos of about 40 s at 25 fps, Cholec80
    layout (videos/, phase_annotations/, tool_annotations/). Read-only: copy
    files before changing them."""
    root = str(tmp_path_factory.mktemp('synthetic_raw'))
    generate_synthetic_dataset(root, num_videos=NUM_VIDEOS, seconds=SECONDS)
    return root


@pytest.fixture(scope='session')
def synthetic_data_root(tmp_path_factory, synthetic_raw_dir) -> str:
    """``synthetic_raw_dir`` prepared at 1 fps, 64x64 frames: a data root
    with ``frames/``, ``annotations/`` and ``meta.json`` (videos video01 to
    video04; split_scheme 'synthetic' gives train 01-02, val 03, test 04).
    Read-only."""
    root = str(tmp_path_factory.mktemp('synthetic'))
    prepare_dataset(
        synthetic_raw_dir,
        root,
        'cholec80',
        PrepareOptions(fps=1, size=(64, 64)),
        progress=False)
    return root
