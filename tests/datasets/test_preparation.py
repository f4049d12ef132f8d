"""Video -> frames preparation on real encoded (synthetic) videos."""
import json
import logging
import os
import os.path as osp

import cv2
import decord
import numpy as np
import pytest

from mmdistill.datasets import (CHOLEC80_TOOLS, PrepareOptions,
                                SurgicalDataError, SurgicalFrames, cut_fov,
                                load_meta, prepare_dataset,
                                read_frame_annotation, read_phase_file,
                                read_tool_file)
from mmdistill.datasets import preparation
from mmdistill.datasets.phases import CHOLEC80_PHASES

SMALL = PrepareOptions(fps=1, size=(64, 64))


def test_meta_and_annotations(synthetic_raw_dir, synthetic_data_root):
    meta = load_meta(synthetic_data_root)
    assert meta['dataset'] == 'cholec80' and meta['fps'] == 1
    assert meta['size'] == [64, 64]
    assert meta['phases'] == list(CHOLEC80_PHASES)
    assert meta['tools'] == list(CHOLEC80_TOOLS)
    assert list(meta['videos']) == ['video01', 'video02', 'video03', 'video04']
    for video, entry in meta['videos'].items():
        native = entry['source_frames']
        assert entry['source_fps'] == 25
        assert entry['length_mismatch'] == 0
        assert entry['num_frames'] == -(-native // 25)  # ceil: 0, 25, ...
        frames = sorted(
            os.listdir(osp.join(synthetic_data_root, 'frames', video)))
        assert frames[0] == '000000.jpg'
        assert len(frames) == entry['num_frames']

        raw = osp.join(synthetic_raw_dir, '{}', f'{video}-{{}}.txt')
        phases = read_phase_file(
            raw.format('phase_annotations', 'phase'), CHOLEC80_PHASES)
        tools = read_tool_file(raw.format('tool_annotations', 'tool'))
        unified = read_frame_annotation(
            osp.join(synthetic_data_root, 'annotations', f'{video}.tsv'))
        assert unified.phases.tolist() == phases[::25].tolist()
        assert unified.tools.tolist() == tools.presence.tolist()
        assert unified.tool_names == CHOLEC80_TOOLS


def test_frames_are_cut_and_resized_source_frames(synthetic_raw_dir,
                                                  synthetic_data_root):
    reader = decord.VideoReader(
        osp.join(synthetic_raw_dir, 'videos', 'video03.mp4'))
    for k in (0, 7, 20):
        source = reader[25 * k].asnumpy()
        expected = cv2.resize(
            cut_fov(source), (64, 64), interpolation=cv2.INTER_AREA)
        written = cv2.imread(
            osp.join(synthetic_data_root, 'frames', 'video03',
                     f'{k:06d}.jpg'))[..., ::-1]
        assert written.shape == (64, 64, 3)
        assert np.abs(written.astype(int) - expected).mean() < 3
        # The cut removed the side margins: mid-height edges show tissue,
        # where the source frame is black.
        assert source[64, :4].max() < 15
        assert written[32, 0].mean() > 30 and written[32, -1].mean() > 30


def test_resume_finishes_only_the_missing_videos(synthetic_raw_dir, tmp_path,
                                                 monkeypatch):
    root = str(tmp_path / 'prepared')
    videos = ['video01', 'video02', 'video03']
    write_frame = preparation._write_frame
    calls = []

    def interrupted(*args):
        calls.append(args)
        if len(calls) == 50:  # inside video02 (video01 has ~40 frames)
            raise KeyboardInterrupt
        write_frame(*args)

    monkeypatch.setattr(preparation, '_write_frame', interrupted)
    with pytest.raises(KeyboardInterrupt):
        prepare_dataset(
            synthetic_raw_dir,
            root,
            'cholec80',
            SMALL,
            videos=videos,
            progress=False)
    monkeypatch.setattr(preparation, '_write_frame', write_frame)
    assert list(load_meta(root)['videos']) == ['video01']
    assert [d for d in os.listdir(osp.join(root, 'frames'))] == ['video01']
    # What a killed process leaves: a partial folder and a complete-looking
    # folder renamed just before meta.json could list it.
    os.makedirs(osp.join(root, 'frames', '.video02.partial'))
    open(osp.join(root, 'annotations', '.video02.tsv.partial'), 'w').close()
    os.makedirs(osp.join(root, 'frames', 'video03'))
    open(osp.join(root, 'frames', 'video03', '000000.jpg'), 'w').close()
    # Neither is taken for a finished video.
    assert SurgicalFrames(root).videos == ['video01']

    done = osp.join(root, 'frames', 'video01', '000000.jpg')
    mtime = os.stat(done).st_mtime_ns
    summary = prepare_dataset(
        synthetic_raw_dir,
        root,
        'cholec80',
        SMALL,
        videos=videos,
        progress=False)
    assert summary.reused == ['video01']
    assert summary.prepared == ['video02', 'video03']
    assert os.stat(done).st_mtime_ns == mtime
    assert sorted(os.listdir(osp.join(root, 'frames'))) == videos
    assert sorted(os.listdir(osp.join(
        root, 'annotations'))) == [f'{v}.tsv' for v in videos]
    meta = load_meta(root)
    assert len(os.listdir(osp.join(root, 'frames', 'video03')))\
        == meta['videos']['video03']['num_frames'] > 30
    assert summary.frames_per_second_per_worker > 0


def test_workers_give_the_same_result(synthetic_raw_dir, synthetic_data_root,
                                      tmp_path):
    root = str(tmp_path / 'pool')
    summary = prepare_dataset(
        synthetic_raw_dir,
        root,
        'cholec80',
        SMALL,
        workers=2,
        videos=['video01', 'video02'],
        progress=False)
    assert sorted(summary.prepared) == ['video01', 'video02']
    reference = load_meta(synthetic_data_root)['videos']
    for video in ('video01', 'video02'):
        assert load_meta(root)['videos'][video]['num_frames'] == reference[
            video]['num_frames']
        tsv = osp.join('annotations', f'{video}.tsv')
        assert open(osp.join(root, tsv)).read() == open(
            osp.join(synthetic_data_root, tsv)).read()
        a = cv2.imread(osp.join(root, 'frames', video, '000005.jpg'))
        b = cv2.imread(
            osp.join(synthetic_data_root, 'frames', video, '000005.jpg'))
        assert np.array_equal(a, b)


def test_settings_must_match_an_earlier_run(synthetic_raw_dir,
                                            synthetic_data_root):
    with pytest.raises(
            SurgicalDataError,
            match=r'size: \[64, 64\] there, \[32, 32\] now'):
        prepare_dataset(
            synthetic_raw_dir,
            synthetic_data_root,
            'cholec80',
            PrepareOptions(fps=1, size=(32, 32)),
            progress=False)


def test_five_fps_and_unknown_videos(synthetic_raw_dir, tmp_path):
    root = str(tmp_path / 'fps5')
    with pytest.raises(SurgicalDataError, match=r"videos \['video09'\] not"):
        prepare_dataset(
            synthetic_raw_dir,
            root,
            'cholec80',
            SMALL,
            videos=['video01', 'video09'],
            progress=False)
    prepare_dataset(
        synthetic_raw_dir,
        root,
        'cholec80',
        PrepareOptions(fps=5, size=(32, 32)),
        videos=['video04'],
        progress=False)
    meta = load_meta(root)
    entry = meta['videos']['video04']
    assert meta['fps'] == 5
    assert entry['num_frames'] == -(-entry['source_frames'] // 5)
    phases = read_phase_file(
        osp.join(synthetic_raw_dir, 'phase_annotations', 'video04-phase.txt'),
        CHOLEC80_PHASES)
    tsv = read_frame_annotation(osp.join(root, 'annotations', 'video04.tsv'))
    assert tsv.phases.tolist() == phases[::5].tolist()
    # Tools are annotated once per second: samples hold the latest row.
    tools = read_tool_file(
        osp.join(synthetic_raw_dir, 'tool_annotations', 'video04-tool.txt'))
    assert tsv.tools.tolist() == np.repeat(
        tools.presence, 5, axis=0)[:len(tsv.phases)].tolist()
    with open(osp.join(root, 'meta.json')) as f:
        assert json.load(f)['size'] == [32, 32]


POOL_SCRIPT = '''
import multiprocessing, os, sys, time
from concurrent.futures import ProcessPoolExecutor
from mmdistill.datasets import preparation

if __name__ == '__main__':
    context = multiprocessing.get_context('forkserver')
    pool = ProcessPoolExecutor(2, mp_context=context,
                               initializer=preparation._init_worker,
                               initargs=(os.getpid(), ))
    futures = [pool.submit(time.sleep, 60) for _ in range(4)]
    while len(pool._processes) < 2:
        time.sleep(0.05)
    print(' '.join(map(str, pool._processes)), flush=True)
    time.sleep(60)
'''


def _running(pid: int) -> bool:
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


def test_workers_end_when_only_the_main_process_is_killed():
    """The preparation's forkserver workers die with the main process."""
    import signal
    import subprocess
    import sys
    import time
    main = subprocess.Popen([sys.executable, '-c', POOL_SCRIPT],
                            stdout=subprocess.PIPE, text=True)
    workers = [int(p) for p in main.stdout.readline().split()]
    assert len(workers) == 2 and all(_running(p) for p in workers)
    main.send_signal(signal.SIGKILL)
    main.wait()
    deadline = time.time() + 10
    while any(_running(p) for p in workers) and time.time() < deadline:
        time.sleep(0.1)
    assert not any(_running(p) for p in workers)


def test_one_preparation_per_output_root(synthetic_raw_dir, tmp_path,
                                         monkeypatch):
    import subprocess
    import sys
    from mmdistill.utils import pid_lock
    from mmdistill.utils.pid_lock import PidLock
    logged = []
    monkeypatch.setattr(pid_lock, 'print_log',
                        lambda msg, **kwargs: logged.append((msg, kwargs)))
    out = tmp_path / 'out'
    out.mkdir()
    lock_file = str(out / preparation.LOCK_FILE)
    with PidLock(lock_file):
        with pytest.raises(SurgicalDataError,
                           match=f'another preparation \\(pid {os.getpid()}\\)'):
            prepare_dataset(synthetic_raw_dir, str(out), 'cholec80', SMALL,
                            videos=['video01'], progress=False)
    # A lock left by a dead process is taken over with a warning.
    dead = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'],
                          capture_output=True, text=True).stdout.strip()
    with open(lock_file, 'w') as f:
        f.write(dead)
    summary = prepare_dataset(synthetic_raw_dir, str(out), 'cholec80', SMALL,
                              videos=['video01'], progress=False)
    assert summary.prepared == ['video01']
    [(message, kwargs)] = logged
    assert f'taking over the lock of process {dead}' in message
    assert kwargs['level'] == logging.WARNING
    assert open(lock_file).read() == ''
