"""Planning runs, the stage record and the checkpoint hook's record."""
import json
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.logging import MMLogger

from mmdistill.apis import BenchmarkError, StageError, parse_checkpoints, \
    plan_runs
from mmdistill.apis.report import low_data_section
from mmdistill.apis.stage_record import (StageRecord, recorded_durations,
                                         run_stage, stage_status)
from mmdistill.apis.stages import check_selection


def test_plan_runs_one_seed_for_all_labels():
    runs = plan_runs({'a': 'a.pth', 'b': 'b.pth'}, [1.0, 0.125], 3)
    assert [run.key for run in runs] == [
        'a/100pct/seed0', 'a/12.5pct/seed0', 'a/12.5pct/seed1',
        'a/12.5pct/seed2', 'b/100pct/seed0', 'b/12.5pct/seed0',
        'b/12.5pct/seed1', 'b/12.5pct/seed2'
    ]
    with pytest.raises(ValueError, match='not in'):
        plan_runs({'a': 'a.pth'}, [0.0], 1)
    with pytest.raises(ValueError, match='repeats'):
        plan_runs({'a': 'a.pth'}, [0.5, 0.5], 1)


def test_parse_checkpoints(tmp_path):
    path = tmp_path / 'w.pth'
    path.write_bytes(b'')
    assert parse_checkpoints([f'moco={path}', 'tv=torchvision://x']) == {
        'moco': str(path),
        'tv': 'torchvision://x'
    }
    for item, match in ((str(path), 'expected NAME=PATH'),
                        (f'a/b={path}', 'expected NAME=PATH'),
                        ('a=missing.pth', 'no file missing.pth')):
        with pytest.raises(ValueError, match=match):
            parse_checkpoints([item])
    with pytest.raises(ValueError, match='given twice'):
        parse_checkpoints([f'a={path}', f'a={path}'])


def test_low_data_section_marks_repeated_subsets():
    runs = plan_runs({'a': 'a.pth', 'b': 'b.pth'}, [1.0, 0.5], 3)
    videos = dict(zip(runs[1:4], (['v2', 'v3'], ['v1', 'v3'], ['v2', 'v3'])))
    assert low_data_section(runs, videos) == [
        '## Low-data seeds', '', '- 50 %, seed 0: v2, v3',
        '- 50 %, seed 1: v1, v3',
        '- 50 %, seed 2: v2, v3 (the videos of seed 0)', ''
    ]


def test_stage_record_runs_once_and_refuses_other_inputs(tmp_path):
    logger = MMLogger.get_instance('test_stage_record')
    directory = str(tmp_path / 'runs' / 'a' / 'frame')
    output = tmp_path / 'model.pth'
    calls = []

    def body():
        calls.append(1)
        output.write_bytes(b'x')
        return dict(checkpoint_path=str(output), videos=('v1', ))

    record = StageRecord('frame', 'a', directory, dict(lr=0.1))
    assert stage_status(directory) == 'to run'
    assert run_stage(record, body, logger) == dict(
        checkpoint_path=str(output), videos=['v1'])
    assert run_stage(record, body, logger)['videos'] == ['v1']
    assert len(calls) == 1 and stage_status(directory) == 'done'
    with open(osp.join(directory, 'done.json')) as f:
        assert json.load(f)['seconds'] >= 0
    assert list(recorded_durations(str(tmp_path))) == ['frame']
    # A file it named is gone: it runs again.
    output.unlink()
    run_stage(record, body, logger)
    assert len(calls) == 2
    with pytest.raises(BenchmarkError, match='lr: 0.1 -> 0.2'):
        run_stage(
            StageRecord('frame', 'a', directory, dict(lr=0.2)), body, logger)

    def fail():
        raise OSError('disk full')

    other = str(tmp_path / 'runs' / 'b' / 'frame')
    with pytest.raises(StageError, match="stage 'frame' of run b failed: "
                       'OSError: disk full'):
        run_stage(StageRecord('frame', 'b', other, {}), fail, logger)
    assert stage_status(other) == 'started'


def test_selection_needs_one_best_metric():
    validated = dict(
        val_cfg=dict(type='ValLoop'), val_dataloader=dict(batch_size=1))
    check_selection(Config(dict(
        validated, default_hooks=dict(checkpoint=dict(save_best='acc')))))
    check_selection(Config(dict(val_cfg=None, val_dataloader=None)))
    for save_best in (None, ['a', 'b']):
        with pytest.raises(ValueError, match='exactly one'):
            check_selection(Config(dict(
                validated,
                default_hooks=dict(checkpoint=dict(save_best=save_best)))))
