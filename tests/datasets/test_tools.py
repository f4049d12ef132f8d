"""The command-line tools of tools/data/."""
import argparse
import importlib.util
import os
import os.path as osp

import pytest

from mmdistill.datasets import load_meta

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO, 'tools', 'data', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = load_tool('generate_synthetic')
prepare = load_tool('prepare_phase_dataset')
verify = load_tool('verify_phase_dataset')


def test_parse_size():
    assert prepare.parse_size('250') == (250, 250)
    assert prepare.parse_size('320x240') == (320, 240)
    for bad in ('abc', '0', '1x2x3'):
        with pytest.raises(argparse.ArgumentTypeError):
            prepare.parse_size(bad)


def test_generate_prepare_verify(tmp_path, capsys):
    raw, out = str(tmp_path / 'raw'), str(tmp_path / 'out')
    assert generate.main([
        raw, '--num-videos', '2', '--seconds', '22', '23', '--size', '96',
        '80', '--seed', '5'
    ]) == 0
    assert sorted(os.listdir(osp.join(
        raw, 'videos'))) == ['video01.mp4', 'video02.mp4']
    with open(osp.join(raw, 'videos', 'video02.mp4'), 'wb') as f:
        f.write(b'\0' * 1000)
    capsys.readouterr()

    args = [
        '--dataset', 'cholec80', raw, out, '--size', '32', '--workers', '1'
    ]
    assert prepare.main(args) == 1
    err = capsys.readouterr().err
    video02 = osp.join(raw, 'videos', 'video02.mp4')
    assert f'error: {video02}: cannot be opened as a video' in err

    assert prepare.main(args + ['--skip-bad']) == 0
    out_lines = capsys.readouterr().out.splitlines()
    assert out_lines[-2] == (f'{out}: prepared 0 videos (0 frames, 0.0 '
                             'frames/s per worker), 1 already done, 1 skipped')
    assert out_lines[-1].startswith(f'  skipped video02: {video02}: cannot')

    assert verify.main([out]) == 0
    frames = load_meta(out)['videos']['video01']['num_frames']
    checked = f'{out}: checked 1 videos, {frames} frames (annotations, ' \
        'frame files, JPEG decoding): '
    assert capsys.readouterr().out.splitlines()[-1] == checked + '0 problems'
    bad = osp.join(out, 'frames', 'video01', '000002.jpg')
    with open(bad, 'wb') as f:
        f.write(b'broken')
    assert verify.main([out]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f'{bad}: unreadable JPEG')
    assert lines[-1] == checked + '1 problems'


def test_prepare_rejects_other_settings_on_an_existing_root(
        synthetic_raw_dir, synthetic_data_root, capsys):
    assert prepare.main([
        '--dataset', 'cholec80', synthetic_raw_dir, synthetic_data_root,
        '--fps', '5', '--size', '64'
    ]) == 1
    assert 'fps: 1 there, 5 now' in capsys.readouterr().err
