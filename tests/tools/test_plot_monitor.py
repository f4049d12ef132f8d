import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _run(*args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, 'tools/analysis/plot_monitor.py',
                           *args], cwd=ROOT, env=env, capture_output=True,
                          text=True)


def test_plot_monitor_writes_png_and_refuses_runs_without_monitor(tmp_path):
    run = tmp_path / 'scalars.json'
    run.write_text(''.join(json.dumps(r) + '\n' for r in [
        {'knn/accuracy': 50., 'knn/macro_f1': 20., 'step': 0},
        {'knn/accuracy': 60., 'knn/macro_f1': 30., 'step': 1}]))
    out = tmp_path / 'curve.png'
    proc = _run(str(run), str(out), '--reference', str(run))
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    plain = tmp_path / 'plain.json'
    plain.write_text(json.dumps({'loss': 1.0, 'step': 1}) + '\n')
    proc = _run(str(plain), str(tmp_path / 'none.png'))
    assert proc.returncode != 0
    assert str(plain) in proc.stderr and 'PhaseKNNMonitorHook' in proc.stderr
    assert not (tmp_path / 'none.png').exists()
