"""Which checkpoint an auto-resume (``tools/train.py --resume``) starts from.

mmengine resumes from the path in ``WORK_DIR/last_checkpoint`` and fails when
that file is gone or truncated (a kill during a save with mmengine's own
:class:`~mmengine.hooks.CheckpointHook`, or a work dir copied without it).
:func:`find_resumable_checkpoint` keeps that choice when the file is complete
and otherwise falls back, with a warning, to the newest complete checkpoint
in the work dir.
"""
import glob
import logging
import os
import os.path as osp
import zipfile
from typing import Optional

from mmengine.logging import print_log

LAST_CHECKPOINT = 'last_checkpoint'


def is_complete_checkpoint(path: str) -> bool:
    """Whether ``path`` is a torch zip checkpoint that was written to the end.

    A cheap check, without unpickling: the zip central directory (stored at
    the end of the file, so a truncated file has none) must be readable, it
    must list a ``data.pkl`` record, and every record must lie inside the
    file. ``data.pkl`` is read back against its CRC.
    """
    if not osp.isfile(path):
        return False
    size = osp.getsize(path)
    try:
        with zipfile.ZipFile(path) as archive:
            records = archive.infolist()
            pickles = [r for r in records
                       if r.filename.endswith('/data.pkl')
                       or r.filename == 'data.pkl']
            if len(pickles) != 1 or any(
                    r.header_offset + r.compress_size > size
                    for r in records):
                return False
            archive.read(pickles[0])
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return False
    return True


def _recorded_checkpoint(work_dir: str) -> Optional[str]:
    try:
        with open(osp.join(work_dir, LAST_CHECKPOINT)) as f:
            recorded = f.read().strip()
    except FileNotFoundError:
        return None
    return recorded or None


def find_resumable_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint an auto-resume in ``work_dir`` should start from.

    Args:
        work_dir: The training work dir.

    Returns:
        The file named in ``work_dir/last_checkpoint`` when it is complete
        (:func:`is_complete_checkpoint`); otherwise the most recently written
        complete ``*.pth`` in ``work_dir`` (a warning says which and why);
        ``None`` when there is none, so training starts from scratch.
    """
    recorded = _recorded_checkpoint(work_dir)
    if recorded is not None and is_complete_checkpoint(recorded):
        return recorded
    candidates = sorted(
        (p for p in glob.glob(osp.join(glob.escape(work_dir), '*.pth'))
         if is_complete_checkpoint(p)),
        key=lambda p: (os.stat(p).st_mtime_ns, p))
    if recorded is None and not candidates:
        return None
    fallback = candidates[-1] if candidates else None
    if recorded is None:
        problem = f'{LAST_CHECKPOINT} names no checkpoint'
    elif not osp.exists(recorded):
        problem = f'{recorded} (named in {LAST_CHECKPOINT}) is missing'
    else:
        problem = (f'{recorded} (named in {LAST_CHECKPOINT}) is incomplete: '
                   'truncated, or not a torch zip checkpoint')
    action = (f'resuming from the newest complete checkpoint {fallback}'
              if fallback is not None else
              'no complete checkpoint is left, training starts from scratch')
    print_log(
        f'Auto-resume in {work_dir}: {problem}; {action}.',
        logger='current',
        level=logging.WARNING)
    return fallback
