"""Every kind of bad input fails with the file and the problem named, or is
skipped and logged with ``skip_bad``; nothing half-written looks finished."""
import os
import os.path as osp
import shutil

import cv2
import decord
import pytest

from mmdistill.datasets import (PrepareOptions, SurgicalDataError,
                                SurgicalPhaseFrames, find_bad_frames,
                                load_meta, prepare_dataset)
from mmdistill.datasets import preparation

SMALL = PrepareOptions(fps=1, size=(32, 32))
FILES = {
    'video': ('videos', '{}.mp4'),
    'phase': ('phase_annotations', '{}-phase.txt'),
    'tool': ('tool_annotations', '{}-tool.txt'),
}


@pytest.fixture
def raw(synthetic_raw_dir, tmp_path):
    """A writable copy of video01 and video02 of the synthetic download."""
    root = tmp_path / 'raw'
    for folder, pattern in FILES.values():
        os.makedirs(root / folder)
        for video in ('video01', 'video02'):
            shutil.copy(
                osp.join(synthetic_raw_dir, folder, pattern.format(video)),
                root / folder)
    return root


def path(raw, kind: str, video: str = 'video02') -> str:
    folder, pattern = FILES[kind]
    return str(raw / folder / pattern.format(video))


def prepare(raw, tmp_path, **kwargs):
    return prepare_dataset(
        str(raw),
        str(tmp_path / 'out'),
        'cholec80',
        SMALL,
        progress=False,
        **kwargs)


def assert_only_video01_finished(tmp_path):
    out = tmp_path / 'out'
    assert list(load_meta(str(out))['videos']) == ['video01']
    assert os.listdir(out / 'frames') == ['video01']
    assert os.listdir(out / 'annotations') == ['video01.tsv']


def phase_rows(raw, video: str = 'video02') -> list:
    with open(path(raw, 'phase', video)) as f:
        return f.read().splitlines()


def write_rows(raw, rows: list, video: str = 'video02') -> None:
    with open(path(raw, 'phase', video), 'w') as f:
        f.write('\n'.join(rows) + '\n')


def test_corrupt_video_fails_or_is_skipped(raw, tmp_path, monkeypatch):
    with open(path(raw, 'video'), 'wb') as f:
        f.write(os.urandom(4096))
    with pytest.raises(SurgicalDataError) as info:
        prepare(raw, tmp_path)
    assert str(info.value).startswith(path(raw, 'video'))
    assert 'cannot be opened as a video' in str(info.value)

    logged = []
    monkeypatch.setattr(preparation, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    summary = prepare(raw, tmp_path, skip_bad=True)
    # video01 was finished before the first run stopped at video02.
    assert summary.reused == ['video01'] and summary.prepared == []
    assert list(summary.skipped) == ['video02']
    assert logged == [f'Skipped video02: {info.value}']
    assert_only_video01_finished(tmp_path)


def test_truncated_mp4_cannot_be_opened(raw, tmp_path):
    with open(path(raw, 'video'), 'rb') as f:
        data = f.read()
    with open(path(raw, 'video'), 'wb') as f:
        f.write(data[:len(data) // 2])  # the mp4 index (moov) is at the end
    with pytest.raises(SurgicalDataError, match='cannot be opened'):
        prepare(raw, tmp_path, videos=['video02'])


def test_truncated_avi_is_caught_by_the_frame_count(raw, tmp_path):
    reader = decord.VideoReader(path(raw, 'video'))
    avi = str(raw / 'videos' / 'video02.avi')
    writer = cv2.VideoWriter(avi, cv2.VideoWriter_fourcc(*'MJPG'), 25,
                             (160, 128))
    for i in range(len(reader)):
        writer.write(reader[i].asnumpy())
    writer.release()
    os.remove(path(raw, 'video'))
    with open(avi, 'rb') as f:
        data = f.read()
    with open(avi, 'wb') as f:
        f.write(data[:len(data) * 6 // 10])
    with pytest.raises(
            SurgicalDataError,
            match=f'annotates {len(reader)} frames but {avi} has'):
        prepare(raw, tmp_path, videos=['video02'])


def test_damaged_video_fails_while_decoding(raw, tmp_path):
    with open(path(raw, 'video'), 'rb') as f:
        data = bytearray(f.read())
    for i in range(len(data) // 3, 2 * len(data) // 3, 50):
        data[i] ^= 0xFF
    with open(path(raw, 'video'), 'wb') as f:
        f.write(bytes(data))
    with pytest.raises(SurgicalDataError, match='decoding failed between'):
        prepare(raw, tmp_path)
    assert_only_video01_finished(tmp_path)
    assert not any(
        name.endswith('.partial')
        for name in os.listdir(tmp_path / 'out' / 'frames'))


def test_empty_video_folder(raw, tmp_path):
    for name in os.listdir(raw / 'videos'):
        os.remove(raw / 'videos' / name)
    with pytest.raises(SurgicalDataError, match='no .mp4/.avi videos found'):
        prepare(raw, tmp_path, skip_bad=True)


@pytest.mark.parametrize('kind, message', [
    ('phase', 'missing phase annotation file'),
    ('tool', 'missing tool annotation file'),
])
def test_missing_annotation_file(raw, tmp_path, kind, message):
    os.remove(path(raw, kind))
    with pytest.raises(SurgicalDataError, match=message) as info:
        prepare(raw, tmp_path)
    assert info.value.path == path(raw, kind)
    assert list(prepare(raw, tmp_path, skip_bad=True).skipped) == ['video02']


def test_annotation_shorter_or_longer_beyond_tolerance(raw, tmp_path):
    rows = phase_rows(raw)
    num_video = len(rows) - 1
    write_rows(raw, rows[:-30])
    with pytest.raises(SurgicalDataError) as info:
        prepare(raw, tmp_path)
    assert str(info.value).startswith(path(raw, 'phase'))
    assert (
        f'annotates {num_video - 30} frames but {path(raw, "video")} has '
        f'{num_video} (30 more in the video), beyond the tolerated 25') in str(
            info.value)
    write_rows(
        raw,
        rows + [f'{num_video + i}\tGallbladderRetraction' for i in range(26)])
    with pytest.raises(SurgicalDataError, match='26 fewer in the video'):
        prepare(raw, tmp_path)


@pytest.mark.parametrize('extra, expected_mismatch', [(-10, 10), (12, -12)])
def test_small_length_differences_are_tolerated_and_logged(
        raw, tmp_path, monkeypatch, extra, expected_mismatch):
    rows = phase_rows(raw)
    num_video = len(rows) - 1
    if extra < 0:
        write_rows(raw, rows[:extra])
    else:
        write_rows(
            raw, rows +
            [f'{num_video + i}\tGallbladderRetraction' for i in range(extra)])
    logged = []
    monkeypatch.setattr(preparation, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    prepare(raw, tmp_path, videos=['video02'])
    entry = load_meta(str(tmp_path / 'out'))['videos']['video02']
    assert entry['length_mismatch'] == expected_mismatch
    covered = min(num_video, num_video + extra)
    assert entry['num_frames'] == -(-covered // 25)
    word = 'more' if expected_mismatch > 0 else 'fewer'
    assert logged == [
        f'video02: the video has {abs(expected_mismatch)} {word} frames than '
        f'its annotation (tolerated); kept the {entry["num_frames"]} samples '
        'covered by both'
    ]


def test_unknown_phase_name(raw, tmp_path):
    rows = phase_rows(raw)
    rows[5] = '4\tPreperation'
    write_rows(raw, rows)
    with pytest.raises(SurgicalDataError) as info:
        prepare(raw, tmp_path)
    assert str(info.value).startswith(
        f"{path(raw, 'phase')}: line 6: unknown phase 'Preperation'")


def test_duplicate_video_ids(raw, tmp_path):
    shutil.copy(path(raw, 'video', 'video01'), raw / 'videos' / 'video01.avi')
    with pytest.raises(
            SurgicalDataError, match="duplicate video id 'video01'"):
        prepare(raw, tmp_path)
    summary = prepare(raw, tmp_path, skip_bad=True)
    assert summary.prepared == ['video02']
    assert 'video01.avi' in summary.skipped['video01']


@pytest.fixture
def prepared_copy(synthetic_data_root, tmp_path) -> str:
    root = str(tmp_path / 'prepared')
    shutil.copytree(synthetic_data_root, root)
    return root


def frame(root: str, video: str, k: int) -> str:
    return osp.join(root, 'frames', video, f'{k:06d}.jpg')


def test_unreadable_jpegs(prepared_copy):
    garbage, truncated = frame(prepared_copy, 'video01',
                               3), frame(prepared_copy, 'video03', 10)
    with open(garbage, 'wb') as f:
        f.write(b'not a jpeg')
    with open(truncated, 'rb') as f:
        data = f.read()
    with open(truncated, 'wb') as f:
        f.write(data[:len(data) // 2])
    problems = find_bad_frames(prepared_copy)
    assert [p.path for p in problems] == [garbage, truncated]
    assert all('unreadable JPEG' in p.problem for p in problems)

    dataset = SurgicalPhaseFrames(
        prepared_copy,
        videos='train',
        split_scheme='synthetic',
        pipeline=[dict(type='LoadImageFromFile')],
        test_mode=True)
    with pytest.raises(
            AssertionError, match=f'failed to load image: '
            f'{garbage}'):
        dataset[3]


def test_missing_frames_and_empty_frame_folder(prepared_copy):
    os.remove(frame(prepared_copy, 'video02', 4))
    with pytest.raises(
            SurgicalDataError,
            match=r"frames are missing \(first: "
            r"\['000004.jpg'\]\)"):
        SurgicalPhaseFrames(
            prepared_copy, videos='train', split_scheme='synthetic')
    folder = osp.join(prepared_copy, 'frames', 'video01')
    for name in os.listdir(folder):
        os.remove(osp.join(folder, name))
    problems = find_bad_frames(prepared_copy, ['video01'])
    assert len(problems) == 1 and problems[0].path == folder
    assert 'frames are missing' in problems[0].problem


def test_missing_meta_json(tmp_path):
    with pytest.raises(SurgicalDataError, match='meta.json: missing; prepare'):
        SurgicalPhaseFrames(str(tmp_path))


def test_rate_above_the_video_rate(raw, tmp_path):
    with pytest.raises(SurgicalDataError) as info:
        prepare_dataset(str(raw), str(tmp_path / 'out'), 'cholec80',
                        PrepareOptions(fps=30), progress=False)
    assert str(info.value) == (f"{path(raw, 'video', 'video01')}: fps must "
                               'be in (0, 25.0], got 30 (the video has 25.0 '
                               'fps)')
