"""Whitespace-separated annotation tables, read line by line.

Shared by the readers of the official raw files
(:mod:`.raw_annotations`) and of the prepared per-frame TSV
(:mod:`.prepared_annotations`).
"""
from typing import List, Tuple

import numpy as np

from .errors import SurgicalDataError


def data_lines(path: str, what: str) -> List[Tuple[int, List[str]]]:
    """Non-blank lines of ``path`` as (line number, fields)."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        raise SurgicalDataError(path, f'missing {what} file') from None
    except (OSError, UnicodeDecodeError) as e:
        raise SurgicalDataError(path,
                                f'cannot read {what} file ({e})') from None
    rows = [(n, line.split()) for n, line in enumerate(lines, 1)
            if line.strip()]
    if not rows:
        raise SurgicalDataError(path, f'empty {what} file')
    return rows


def is_int(text: str) -> bool:
    """Whether ``text`` is a (possibly negative) decimal integer."""
    return text.lstrip('-').isdigit()


def integer_table(path: str, rows: List[Tuple[int, List[str]]],
                  width: int) -> np.ndarray:
    """``rows`` (from :func:`data_lines`) as an ``(len(rows), width)`` int64
    table; a row of another width or with a non-integer field is refused,
    naming its line."""
    table = np.empty((len(rows), width), dtype=np.int64)
    for k, (n, fields) in enumerate(rows):
        if len(fields) != width or not all(map(is_int, fields)):
            raise SurgicalDataError(
                path, f'line {n}: expected {width} integers, got '
                f'{" ".join(fields)!r}')
        table[k] = [int(x) for x in fields]
    return table
