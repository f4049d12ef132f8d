"""The unified per-frame TSV of a prepared video.

One file per prepared video (``annotations/<video>.tsv``, see
:mod:`.layout`)::

    frame   phase   [Grasper ... SpecimenBag]
    0       0       [1 ... 0]

where ``frame`` is the index ``k`` of the sampled frame (``k / fps`` seconds
into the video, ``frames/<video>/<k:06d>.jpg``) and ``phase`` the id in the
dataset's vocabulary (:func:`mmdistill.datasets.phases.get_phases`).
"""
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from ..utils.fileio import write_text_atomic
from .errors import SurgicalDataError
from .text_rows import data_lines, integer_table


@dataclass(frozen=True)
class FrameAnnotation:
    """Unified labels of one prepared video.

    Attributes:
        phases (np.ndarray): Phase id of each sampled frame ``k``.
        tools (np.ndarray, optional): ``(frames, tools)`` 0/1 presence.
        tool_names (tuple[str]): Names of the tool columns.
    """
    phases: np.ndarray
    tools: Optional[np.ndarray] = None
    tool_names: Tuple[str, ...] = ()


def write_frame_annotation(path: str, annotation: FrameAnnotation) -> None:
    """Write ``annotation`` as a unified TSV (atomically)."""
    columns = ['frame', 'phase', *annotation.tool_names]
    lines = ['\t'.join(columns)]
    for k, phase in enumerate(annotation.phases):
        row = [str(k), str(int(phase))]
        if annotation.tools is not None:
            row += [str(int(v)) for v in annotation.tools[k]]
        lines.append('\t'.join(row))
    write_text_atomic(path, '\n'.join(lines) + '\n')


def read_frame_annotation(path: str,
                          num_phases: Optional[int] = None) -> FrameAnnotation:
    """Read a unified TSV written by :func:`write_frame_annotation`.

    Args:
        path (str): ``annotations/<video>.tsv``.
        num_phases (int, optional): If given, phase ids must be below it.

    Raises:
        SurgicalDataError: If the header is not ``frame, phase, [tools]``,
            frames do not run 0, 1, 2, ..., or a value is invalid.
    """
    rows = data_lines(path, 'annotation')
    (_, header), rows = rows[0], rows[1:]
    if header[:2] != ['frame', 'phase']:
        raise SurgicalDataError(
            path, f'line 1: expected header "frame<TAB>phase[<TAB>tools]", '
            f'got {" ".join(header)!r}; re-run the preparation')
    table = integer_table(path, rows, len(header))
    for k, (n, _) in enumerate(rows):
        if table[k, 0] != k:
            raise SurgicalDataError(
                path, f'line {n}: frame {table[k, 0]} where {k} was expected')
    phases = table[:, 1]
    if len(phases) and (phases.min() < 0 or (num_phases is not None
                                             and phases.max() >= num_phases)):
        raise SurgicalDataError(
            path, f'phase ids must lie in [0, {num_phases}); found '
            f'{phases.min()}..{phases.max()}')
    tool_names = tuple(header[2:])
    tools = table[:, 2:].astype(np.uint8) if tool_names else None
    return FrameAnnotation(phases, tools, tool_names)
