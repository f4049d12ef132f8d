"""Phase label files in the official Cholec80 / M2CAI16 format.

A file has one header line (``Frame<TAB>Phase`` in the datasets) and then one
``frame<TAB>phase-name`` row per frame. The MATLAB evaluation reads them with
``fgets`` (header) and ``textscan(fid, '%d %s')``, so any whitespace separates
the two fields; we accept the same, skip blank lines, and reject everything
else with the file name and line number. Unlike MATLAB we also reject a first
line that is a data row, because the script would silently drop that frame
as the header.

A prediction file has the same name as its ground-truth file (in another
directory) or is called ``<stem>_pred.txt``.
"""
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from mmdistill.datasets.phases import get_phases, phase_to_id
from mmdistill.utils.fileio import write_text_atomic

PathLike = Union[str, Path]

HEADER = 'Frame\tPhase'
PRED_SUFFIX = '_pred'


class LabelFileError(ValueError):
    """A phase label file is missing, malformed or does not fit its pair."""


def _parse_row(line: str, ids: Dict[str, int], where: str) -> Tuple[int, int]:
    fields = line.split()
    if len(fields) != 2:
        raise LabelFileError(f'{where}: expected "frame<TAB>phase-name", '
                             f'got {line.rstrip()!r}.')
    frame, phase = fields
    try:
        frame_id = int(frame)
    except ValueError:
        raise LabelFileError(f'{where}: frame {frame!r} is not an integer.') \
            from None
    if phase not in ids:
        raise LabelFileError(
            f'{where}: unknown phase {phase!r}; expected one of {list(ids)}.')
    return frame_id, ids[phase]


def read_label_file(path: PathLike,
                    dataset: str) -> Tuple[np.ndarray, np.ndarray]:
    """Read an official-format label file.

    Args:
        path: The file.
        dataset: ``'cholec80'`` or ``'m2cai16'`` (the phase vocabulary).

    Returns:
        tuple: ``(frames, phases)``, int64 arrays of frame indices and
        0-based phase ids.

    Raises:
        LabelFileError: naming the file and line for a missing header,
            malformed rows, unknown phase names or a file with no rows.
    """
    ids = phase_to_id(dataset)
    path = Path(path)
    try:
        lines = path.read_text(encoding='utf-8').splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise LabelFileError(f'{path}: cannot read label file ({e}).') from e
    if not lines:
        raise LabelFileError(f'{path}: empty file; expected a header line '
                             f'such as {HEADER!r} followed by rows.')
    try:
        _parse_row(lines[0], ids, '')
    except LabelFileError:
        pass
    else:
        raise LabelFileError(
            f'{path}:1: the first line is a data row; the official format '
            f'starts with a header line such as {HEADER!r}.')
    rows = [
        _parse_row(line, ids, f'{path}:{number}')
        for number, line in enumerate(lines[1:], start=2) if line.strip()
    ]
    if not rows:
        raise LabelFileError(f'{path}: no label rows after the header.')
    frames, phases = zip(*rows)
    return np.array(frames, dtype=np.int64), np.array(phases, dtype=np.int64)


def write_label_file(path: PathLike,
                     phases: Sequence[int],
                     dataset: str,
                     frames: Optional[Sequence[int]] = None) -> None:
    """Write phase ids as an official-format label file (atomically).

    Args:
        path: Output file.
        phases: 0-based phase ids, one per frame.
        dataset: ``'cholec80'`` or ``'m2cai16'`` (the phase vocabulary).
        frames: Frame index of each row; ``0, 1, 2, ...`` by default.
    """
    names = get_phases(dataset)
    phases = np.asarray(phases)
    frames = np.arange(phases.size) if frames is None else np.asarray(frames)
    if frames.shape != phases.shape:
        raise ValueError(f'{path}: {frames.size} frame indices for '
                         f'{phases.size} phases.')
    if phases.size and (phases.min() < 0 or phases.max() >= len(names)):
        raise ValueError(f'{path}: phase ids must lie in [0, {len(names)}).')
    rows = ''.join(f'{f}\t{names[p]}\n' for f, p in zip(frames, phases))
    write_text_atomic(path, f'{HEADER}\n{rows}')


def video_name(gt_file: PathLike) -> str:
    """Video name of a ground-truth file: its stem without ``-phase``."""
    stem = Path(gt_file).stem
    return stem[:-len('-phase')] if stem.endswith('-phase') else stem


def find_prediction_file(gt_file: PathLike, pred_dir: PathLike) -> Path:
    """The prediction file of ``gt_file`` in ``pred_dir``.

    Raises:
        LabelFileError: if there is none, or both naming schemes exist.
    """
    gt_file = Path(gt_file)
    pred_dir = Path(pred_dir)
    candidates = [
        c for c in (pred_dir / gt_file.name,
                    pred_dir / f'{gt_file.stem}{PRED_SUFFIX}{gt_file.suffix}')
        if c.is_file() and not c.samefile(gt_file)
    ]
    if not candidates:
        raise LabelFileError(
            f'No prediction for {gt_file}: expected {pred_dir / gt_file.name} '
            f'or {pred_dir / (gt_file.stem + PRED_SUFFIX + gt_file.suffix)}.')
    if len(candidates) > 1:
        raise LabelFileError(
            f'Ambiguous prediction for {gt_file}: both {candidates[0]} and '
            f'{candidates[1]} exist; remove one.')
    return candidates[0]


def pair_label_files(gt_dir: PathLike,
                     pred_dir: PathLike) -> List[Tuple[str, Path, Path]]:
    """Pair every ground-truth file in ``gt_dir`` with its prediction.

    Ground-truth files are the ``*.txt`` files of ``gt_dir`` except
    ``*_pred.txt`` ones, so ``gt_dir`` and ``pred_dir`` may be the same
    directory.

    Returns:
        list: ``(video name, gt file, prediction file)``, sorted by name.
    """
    gt_dir = Path(gt_dir)
    if not gt_dir.is_dir():
        raise LabelFileError(f'Ground-truth directory {gt_dir} is missing.')
    if not Path(pred_dir).is_dir():
        raise LabelFileError(f'Prediction directory {pred_dir} is missing.')
    gt_files = sorted(f for f in gt_dir.glob('*.txt')
                      if not f.stem.endswith(PRED_SUFFIX))
    if not gt_files:
        raise LabelFileError(f'No ground-truth *.txt files in {gt_dir}.')
    pairs = [(video_name(f), f, find_prediction_file(f, pred_dir))
             for f in gt_files]
    names = [name for name, _, _ in pairs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise LabelFileError(f'{gt_dir}: several files map to the videos '
                             f'{duplicates} (e.g. "x.txt" and "x-phase.txt").')
    return pairs


def read_label_pair(gt_file: PathLike, pred_file: PathLike,
                    dataset: str) -> Tuple[np.ndarray, np.ndarray]:
    """Read a ground-truth file and its prediction and check they align.

    Like ``Main.m``, the two files must have the same number of rows and the
    same frame indices.

    Returns:
        tuple: ``(gt, pred)`` 0-based phase ids.
    """
    gt_frames, gt = read_label_file(gt_file, dataset)
    pred_frames, pred = read_label_file(pred_file, dataset)
    if gt.size != pred.size:
        raise LabelFileError(
            f'{pred_file}: {pred.size} rows but its ground truth {gt_file} '
            f'has {gt.size}; predict every annotated frame.')
    mismatch = np.flatnonzero(gt_frames != pred_frames)
    if mismatch.size:
        i = mismatch[0]
        raise LabelFileError(
            f'{pred_file}: row {i + 1} is frame {pred_frames[i]} but row '
            f'{i + 1} of {gt_file} is frame {gt_frames[i]}; the frame '
            'columns must be identical.')
    return gt, pred


def read_label_dirs(gt_dir: PathLike, pred_dir: PathLike,
                    dataset: str) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
    """Every video's ``(gt, pred)`` phase ids from two label-file folders,
    paired by :func:`pair_label_files` and checked by
    :func:`read_label_pair`."""
    return {
        name: read_label_pair(gt_file, pred_file, dataset)
        for name, gt_file, pred_file in pair_label_files(gt_dir, pred_dir)
    }
