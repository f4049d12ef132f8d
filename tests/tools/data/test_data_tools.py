"""The command-line tools of tools/data/, run as commands."""
import os
import os.path as osp
import subprocess
import sys
from types import SimpleNamespace

from mmdistill.datasets import load_meta

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))


def tool(name: str):
    """``tool(name).main(argv)`` runs ``tools/data/<name>.py argv`` and
    returns its exit status; its output is in ``.out`` / ``.err``."""
    result = SimpleNamespace(out='', err='')

    def main(argv):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            (ROOT, osp.join(ROOT, 'tests'))))
        done = subprocess.run(
            [sys.executable, osp.join(ROOT, 'tools', 'data', f'{name}.py'),
             *argv], env=env, capture_output=True, text=True)
        result.out, result.err = done.stdout, done.stderr
        return done.returncode

    result.main = main
    return result


generate = tool('generate_synthetic')
prepare = tool('prepare_phase_dataset')
verify = tool('verify_phase_dataset')


def test_parse_size_errors_name_the_option(tmp_path):
    assert prepare.main(['--dataset', 'cholec80', str(tmp_path),
                         str(tmp_path / 'out'), '--size', '1x2x3']) == 2
    assert '--size' in prepare.err


def test_generate_prepare_verify(tmp_path):
    raw, out = str(tmp_path / 'raw'), str(tmp_path / 'out')
    assert generate.main([
        raw, '--num-videos', '2', '--seconds', '22', '23', '--size', '96',
        '80', '--seed', '5'
    ]) == 0
    assert sorted(os.listdir(osp.join(
        raw, 'videos'))) == ['video01.mp4', 'video02.mp4']
    with open(osp.join(raw, 'videos', 'video02.mp4'), 'wb') as f:
        f.write(b'\0' * 1000)

    args = [
        '--dataset', 'cholec80', raw, out, '--size', '32', '--workers', '1'
    ]
    assert prepare.main(args) == 1
    err = prepare.err
    video02 = osp.join(raw, 'videos', 'video02.mp4')
    assert f'error: {video02}: cannot be opened as a video' in err

    assert prepare.main(args + ['--skip-bad']) == 0
    out_lines = prepare.out.splitlines()
    assert out_lines[-2] == (f'{out}: prepared 0 videos (0 frames, 0.0 '
                             'frames/s per worker), 1 already done, 1 skipped')
    assert out_lines[-1].startswith(f'  skipped video02: {video02}: cannot')

    assert verify.main([out]) == 0
    frames = load_meta(out)['videos']['video01']['num_frames']
    checked = f'{out}: checked 1 videos, {frames} frames (annotations, ' \
        'frame files, JPEG decoding): '
    assert verify.out.splitlines()[-1] == checked + '0 problems'
    bad = osp.join(out, 'frames', 'video01', '000002.jpg')
    with open(bad, 'wb') as f:
        f.write(b'broken')
    assert verify.main([out]) == 1
    lines = verify.out.splitlines()
    assert lines[0].startswith(f'{bad}: unreadable JPEG')
    assert lines[-1] == checked + '1 problems'


def test_prepare_rejects_other_settings_on_an_existing_root(
        synthetic_raw_dir, synthetic_data_root):
    assert prepare.main([
        '--dataset', 'cholec80', synthetic_raw_dir, synthetic_data_root,
        '--fps', '5', '--size', '64'
    ]) == 1
    assert 'fps: 1 there, 5 now' in prepare.err
