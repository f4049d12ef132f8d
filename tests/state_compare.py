"""Bit-for-bit comparison of nested checkpoint contents, shared by the
resume tests."""
import torch


def assert_same(a, b, path=''):
    """``a`` equals ``b`` exactly: tensors with ``torch.equal``, containers
    key by key and item by item; ``path`` names the first difference."""
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            assert_same(a[key], b[key], f'{path}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f'{path}[{i}]')
    else:
        assert a == b, path
