"""Helpers of mmdistill.datasets.video."""
import argparse

import pytest

from mmdistill.datasets.video import parse_size


def test_parse_size():
    assert parse_size('250') == (250, 250)
    assert parse_size('320x240') == (320, 240)
    for bad in ('abc', '0', '1x2x3'):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_size(bad)
