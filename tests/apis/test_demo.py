"""The demo's stage runner: one console line per stage with the time left,
every stage's own output in its log file, finished stages skipped on a
rerun. (The whole demo runs in ``make demo``; it is too long for the
suite.)"""
import io
import json
import os
import re

import pytest

from mmdistill.apis import demo
from mmdistill.apis.demo import Stages, clock, remaining, results_tables


def test_remaining_scales_the_weights_by_the_pace_so_far(monkeypatch):
    monkeypatch.setattr(demo, 'STAGE_SECONDS', dict(a=10., b=20., c=30.))
    assert remaining({}, 'abc') == 60.
    # 'a' took 20 s instead of 10: the rest is expected twice as slow.
    assert remaining(dict(a=20.), 'abc') == pytest.approx(100.)
    assert remaining(dict(a=20., b=10.), 'abc') == pytest.approx(30.)
    assert clock(61.4) == '1:01' and clock(5) == '0:05'


def test_stage_lines_logs_and_resume(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, 'STAGE_SECONDS', dict(first=1., second=1.))
    console = io.StringIO()
    stages = Stages(str(tmp_path), ['first', 'second'], console)

    def noisy():
        # File descriptors, as the console sees them (pytest replaces
        # sys.stdout, a demo run does not).
        os.write(1, b'mmengine log line\n')
        os.write(2, b'native stderr\n')
        return dict(value=1)

    assert stages.run('first', noisy) == dict(value=1)
    assert stages.run('second', lambda: dict(value=2)) == dict(value=2)
    lines = console.getvalue().splitlines()
    assert len(lines) == 4
    assert lines[0] == '[stage 1/2] first ... (~0:02 left)'
    assert re.fullmatch(r'\[stage 1/2\] first done in 0:00, elapsed 0:00, '
                        r'~0:0\d left', lines[1])
    assert lines[3].startswith('[stage 2/2] second done in')
    log = (tmp_path / 'logs' / 'first.log').read_text()
    assert 'mmengine log line' in log and 'native stderr' in log
    record = json.loads((tmp_path / 'demo_stages.json').read_text())
    assert record['second']['outputs'] == dict(value=2)

    rerun_console = io.StringIO()
    rerun = Stages(str(tmp_path), ['first', 'second'], rerun_console)
    assert rerun.run('first', lambda: pytest.fail('ran again')) == dict(
        value=1)
    assert rerun_console.getvalue() == (
        '[stage 1/2] first ... done before, skipped\n')


def test_results_tables_keep_the_metric_sections(tmp_path):
    report = tmp_path / 'results.md'
    report.write_text('# Phase benchmark\n\n## Protocol\ncard\n\n'
                      '## Official metrics (relaxed)\n| a |\n\n'
                      '## Strict metrics\n| b |\n\n## Paired comparisons\n'
                      '| c |\n')
    tables = results_tables(str(report))
    assert 'Official metrics (relaxed)\n| a |' in tables
    assert 'Strict metrics\n| b |' in tables
    assert 'Protocol' not in tables and 'Paired' not in tables
