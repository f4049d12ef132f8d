"""Official Cholec80 / M2CAI16 annotation files and their time sampling.

Official files (both datasets, one row per frame of the 25 fps video)::

    videoNN-phase.txt / workflow_video_NN.txt     videoNN-tool.txt (Cholec80)
    Frame   Phase                                 Frame Grasper ... SpecimenBag
    0       Preparation                           0     1       ... 0
    1       Preparation                           25    1       ... 0

The official evaluation scripts of both datasets read the phase files with
one header line; :func:`read_phase_file` also accepts a file without it. Tool
files list every 25th frame. Only the preparation reads these files; the
runtime datasets read the prepared TSV of :mod:`.prepared_annotations`.
"""
from dataclasses import dataclass
from typing import Sequence, Tuple

import numpy as np

from .errors import SurgicalDataError
from .text_rows import data_lines, integer_table, is_int

CHOLEC80_TOOLS: Tuple[str, ...] = ('Grasper', 'Bipolar', 'Hook', 'Scissors',
                                   'Clipper', 'Irrigator', 'SpecimenBag')


@dataclass(frozen=True)
class ToolAnnotation:
    """Tool presence rows of an official tool file.

    Attributes:
        names (tuple[str]): Tool names, in column order.
        frames (np.ndarray): Increasing native frame index of each row.
        presence (np.ndarray): ``(rows, tools)`` array of 0/1.
    """
    names: Tuple[str, ...]
    frames: np.ndarray
    presence: np.ndarray



def read_phase_file(path: str, phases: Sequence[str]) -> np.ndarray:
    """Read an official phase file into one phase id per native frame.

    Args:
        path (str): ``videoNN-phase.txt`` (Cholec80) or
            ``[test_]workflow_video_NN.txt`` (M2CAI16).
        phases (Sequence[str]): The dataset's phase names, in id order.

    Returns:
        np.ndarray: ``int64`` array, entry ``i`` is the phase of frame ``i``.

    Raises:
        SurgicalDataError: If the file is missing or empty, its header is
            not ``Frame<TAB>Phase``, a row is not
            ``<frame> <phase>``, frames do not run 0, 1, 2, ... or a phase
            name is not in ``phases``.
    """
    rows = data_lines(path, 'phase annotation')
    if not is_int(rows[0][1][0]):
        (n, header), rows = rows[0], rows[1:]
        if [h.lower() for h in header] != ['frame', 'phase']:
            raise SurgicalDataError(
                path, f'line {n}: expected the header "Frame<TAB>Phase" (or '
                f'no header), got {" ".join(header)!r}')
    ids = {name: i for i, name in enumerate(phases)}
    labels = np.empty(len(rows), dtype=np.int64)
    for expected, (n, fields) in enumerate(rows):
        if len(fields) != 2 or not is_int(fields[0]):
            raise SurgicalDataError(
                path, f'line {n}: expected "<frame><TAB><phase>", got '
                f'{" ".join(fields)!r}')
        if int(fields[0]) != expected:
            raise SurgicalDataError(
                path, f'line {n}: frame {fields[0]} where frame {expected} '
                'was expected (rows must list every frame from 0)')
        if fields[1] not in ids:
            raise SurgicalDataError(
                path, f'line {n}: unknown phase {fields[1]!r}; expected one '
                f'of {list(phases)} (wrong --dataset?)')
        labels[expected] = ids[fields[1]]
    if len(labels) == 0:
        raise SurgicalDataError(path, 'has a header but no rows')
    return labels


def read_tool_file(path: str) -> ToolAnnotation:
    """Read an official Cholec80 tool file (header, then every 25th frame).

    Raises:
        SurgicalDataError: If the file is missing, has no ``Frame`` header,
            a row has the wrong number of columns or non-0/1 values, or the
            frames are not increasing.
    """
    rows = data_lines(path, 'tool annotation')
    (_, header), rows = rows[0], rows[1:]
    if header[0].lower() != 'frame' or len(header) < 2:
        raise SurgicalDataError(
            path, f'line 1: expected a header "Frame<TAB><tool>...", got '
            f'{" ".join(header)!r}')
    if not rows:
        raise SurgicalDataError(path, 'has a header but no rows')
    table = integer_table(path, rows, len(header))
    frames, presence = table[:, 0], table[:, 1:]
    if np.any(np.diff(frames) <= 0) or frames[0] < 0:
        raise SurgicalDataError(path, 'frame numbers must increase from >= 0')
    if not np.isin(presence, (0, 1)).all():
        raise SurgicalDataError(path, 'tool values must be 0 or 1')
    return ToolAnnotation(tuple(header[1:]), frames, presence.astype(np.uint8))


def sampled_frame_indices(num_frames: int, native_fps: float,
                          fps: float) -> np.ndarray:
    """Native frame index of each sample ``k`` taken at ``fps``.

    Sample ``k`` is at ``k / fps`` seconds, i.e. native frame
    ``round(k * native_fps / fps)``; samples run while that is below
    ``num_frames``. At 1 fps from 25 fps this is frames 0, 25, 50, ... as in
    the public Cholec80 pipelines.

    Raises:
        ValueError: If ``fps`` is not positive or exceeds ``native_fps``.
    """
    if not 0 < fps <= native_fps:
        raise ValueError(f'fps must be in (0, {native_fps}], got {fps}')
    step = native_fps / fps
    count = int(np.ceil(num_frames / step))
    indices = np.floor(np.arange(count + 1) * step + 0.5).astype(np.int64)
    return indices[indices < num_frames]


def sample_tools(tools: ToolAnnotation, indices: np.ndarray,
                 max_gap: int) -> np.ndarray:
    """Tool presence at native frames ``indices`` (latest row at or before).

    Tool rows exist every 25th frame, so above 1 fps a sample takes the last
    annotated value.

    Raises:
        ValueError: If a sample precedes the first row or lies more than
            ``max_gap`` frames after the row it would use (the tool file
            ends too early).
    """
    rows = np.searchsorted(tools.frames, indices, side='right') - 1
    if np.any(rows < 0):
        raise ValueError(f'the first tool row is frame {tools.frames[0]}, '
                         f'after sampled frame {indices[0]}')
    gaps = indices - tools.frames[rows]
    if np.any(gaps > max_gap):
        raise ValueError(
            f'the last tool row is frame {tools.frames[-1]} but frames up '
            f'to {indices[-1]} need tool labels')
    return tools.presence[rows]
