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
