import os

import pytest

from mmdistill.utils import atomic_write, write_bytes_atomic, write_text_atomic


def test_write_replaces_and_leaves_no_temporary(tmp_path):
    target = tmp_path / 'sub' / 'out.txt'
    write_text_atomic(target, 'one')
    write_text_atomic(target, 'two')
    assert target.read_text() == 'two'
    assert os.listdir(target.parent) == ['out.txt']


def test_failure_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / 'out.bin'
    write_bytes_atomic(target, b'old')
    with pytest.raises(RuntimeError):
        with atomic_write(target, binary=True) as f:
            f.write(b'half of the new')
            assert target.read_bytes() == b'old'
            raise RuntimeError('killed mid-write')
    assert target.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['out.bin']


def test_permissions_are_those_of_a_plain_write(tmp_path):
    old_umask = os.umask(0o022)
    try:
        target = tmp_path / 'out.txt'
        write_text_atomic(target, 'new file')
        assert target.stat().st_mode & 0o777 == 0o644
        os.chmod(target, 0o640)
        write_text_atomic(target, 'replaced')
        assert target.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old_umask)
