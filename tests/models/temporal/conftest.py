"""Fixtures of the temporal model tests."""
from typing import Callable

import pytest

from feature_dirs import write_feature_dir


@pytest.fixture
def feature_dir(tmp_path) -> Callable[..., str]:
    """Factory: ``feature_dir(videos)`` writes them under ``tmp_path``."""
    return lambda videos, **kwargs: write_feature_dir(
        str(tmp_path), videos, **kwargs)
