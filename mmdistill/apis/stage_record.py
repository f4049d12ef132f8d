"""A resumable record of one benchmark stage, kept in the stage's folder.

``stage.json`` holds the stage's inputs, written when it starts;
``done.json`` its outputs and duration, written when it finishes. A rerun
skips a finished stage (its outputs come back from ``done.json``), redoes an
unfinished one, and refuses a folder whose recorded inputs differ. Both
files are for resuming and for people; within one run, stages pass their
outputs as return values.
"""
import glob
import json
import os.path as osp
import time
import traceback
from typing import Callable, Dict, List, Optional

from mmengine.logging import MMLogger

from mmdistill.utils.fileio import write_text_atomic
from .errors import BenchmarkError, StageError

INPUTS_FILE = 'stage.json'
DONE_FILE = 'done.json'


def json_normal(value: dict) -> dict:
    """``value`` as it reads back from JSON (tuples become lists, ...)."""
    return json.loads(json.dumps(value, sort_keys=True))


def differences(old: dict, new: dict, prefix: str = '') -> List[str]:
    """``'key: old -> new'`` for every leaf that differs, keys dotted."""
    lines = []
    for key in sorted({*old, *new}):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            lines += differences(a, b, f'{prefix}{key}.')
        elif key not in old or key not in new or a != b:
            shown = [
                repr(d[key]) if key in d else '<unset>' for d in (old, new)
            ]
            lines.append(f'{prefix}{key}: {shown[0]} -> {shown[1]}')
    return lines


def _read_json(path: str) -> Optional[dict]:
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        return json.load(f)


class StageRecord:
    """The record of one stage of one run.

    Args:
        name: Stage name (``'frame'``, ``'features'``, ...).
        run_key: The run it belongs to, for messages.
        directory: Its folder (logs, checkpoints, outputs, the record).
        inputs: Everything its result depends on (configs, options, upstream
            outputs); a folder recorded with other inputs is refused.
    """

    def __init__(self, name: str, run_key: str, directory: str,
                 inputs: dict) -> None:
        self.name = name
        self.run_key = run_key
        self.directory = directory
        self.inputs = json_normal(inputs)

    def check_inputs(self) -> None:
        """Raise if the folder holds this stage run with other inputs.

        Raises:
            BenchmarkError: Listing the inputs that differ.
        """
        recorded = _read_json(osp.join(self.directory, INPUTS_FILE))
        if recorded is not None and recorded != self.inputs:
            changes = '\n  '.join(differences(recorded, self.inputs))
            raise BenchmarkError(
                f'{self.directory} holds stage {self.name!r} of run '
                f'{self.run_key} with other inputs:\n  {changes}\nUse '
                f'another --work-dir, or delete that directory to redo it.')

    def outputs(self) -> Optional[dict]:
        """The outputs of the finished stage; None if it has not finished or
        a file it named is gone (``*_path`` outputs are paths)."""
        done = _read_json(osp.join(self.directory, DONE_FILE))
        if done is None:
            return None
        outputs = done['outputs']
        paths = [v for k, v in outputs.items() if k.endswith('_path')]
        return outputs if all(osp.exists(p) for p in paths) else None

    def begin(self) -> None:
        """Record the inputs of a stage about to run."""
        write_text_atomic(
            osp.join(self.directory, INPUTS_FILE),
            json.dumps(self.inputs, indent=2, sort_keys=True) + '\n')

    def finish(self, outputs: dict, seconds: float) -> None:
        """Record the outputs of the finished stage and how long it took."""
        write_text_atomic(
            osp.join(self.directory, DONE_FILE),
            json.dumps(
                dict(outputs=outputs, seconds=round(seconds, 3)), indent=2) +
            '\n')

    def log_file(self) -> Optional[str]:
        """The newest log file under the stage folder."""
        logs = glob.glob(
            osp.join(self.directory, '**', '*.log'), recursive=True)
        return max(logs, key=osp.getmtime) if logs else None


def run_stage(record: StageRecord, body: Callable[[], dict],
              logger: MMLogger) -> dict:
    """Run ``body`` unless ``record`` says it finished; return its outputs.

    Raises:
        BenchmarkError: If the folder was recorded with other inputs.
        StageError: If ``body`` raises; the traceback goes to ``logger``.
    """
    record.check_inputs()
    outputs = record.outputs()
    if outputs is not None:
        logger.info(f'{record.run_key} {record.name}: done before, skipped')
        return outputs
    logger.info(
        f'{record.run_key} {record.name}: running in {record.directory}')
    record.begin()
    start = time.perf_counter()
    try:
        outputs = body()
    except Exception as err:
        logger.error(traceback.format_exc())
        raise StageError(
            f'stage {record.name!r} of run {record.run_key} failed: '
            f'{type(err).__name__}: {err}\n  stage log: {record.log_file()}'
            f'\n  benchmark log: {logger.log_file}') from err
    record.finish(outputs, time.perf_counter() - start)
    return json_normal(outputs)


def recorded_durations(work_dir: str) -> Dict[str, List[float]]:
    """Seconds of every finished stage under ``work_dir``, by stage name
    (the folder name of the stage)."""
    durations: Dict[str, List[float]] = {}
    pattern = osp.join(work_dir, 'runs', '**', DONE_FILE)
    for path in sorted(glob.glob(pattern, recursive=True)):
        seconds = (_read_json(path) or {}).get('seconds')
        if seconds is not None:
            name = osp.basename(osp.dirname(path))
            durations.setdefault(name, []).append(float(seconds))
    return durations


def stage_status(directory: str) -> str:
    """``'done'``, ``'started'`` (recorded inputs, no outputs) or
    ``'to run'``."""
    if osp.isfile(osp.join(directory, DONE_FILE)):
        return 'done'
    if osp.isfile(osp.join(directory, INPUTS_FILE)):
        return 'started'
    return 'to run'
