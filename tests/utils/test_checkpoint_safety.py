import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import load_checkpoint

from mmdistill.utils import CheckpointError, load_checkpoint_file

MARKER = 'MMDISTILL_PWNED'


class _RunsCode:
    """Pickles as a call to os.system: loading it would run a command."""

    def __reduce__(self):
        return (os.system, (f'touch {MARKER}', ))


class _ReachesPastHistoryBuffer:
    """A getattr chain from an allowed class toward its module globals."""

    def __reduce__(self):
        return (getattr, (HistoryBuffer, '__init__'))


def _mmengine_like_checkpoint():
    hub = MessageHub.get_instance('checkpoint-safety')
    hub.update_scalar('train/loss', np.float32(1.5))
    hub.update_scalar('train/loss', 2.5)
    hub.update_info('seed', np.int64(7))
    return dict(
        meta=dict(epoch=2, iter=10, seed=np.int64(7), dataset_meta=None),
        message_hub=hub.state_dict(),
        state_dict={'weight': torch.ones(3)},
        optimizer={'state': {}, 'param_groups': [{'lr': 0.1, 'params': [0]}]})


def test_mmengine_checkpoint_loads_with_weights_only(tmp_path):
    path = tmp_path / 'ok.pth'
    torch.save(_mmengine_like_checkpoint(), path)
    # torch's own default (weights_only=True) loads it: mmengine's resume
    # and load_checkpoint call torch.load without arguments.
    loaded = torch.load(path)
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert buffer.mean() == pytest.approx(2.0)
    assert buffer.max() == pytest.approx(2.5)
    assert loaded['meta']['seed'] == 7
    model = torch.nn.Linear(3, 1, bias=False)
    load_checkpoint(model, str(path), strict=False)


@pytest.mark.parametrize('payload', [_RunsCode, _ReachesPastHistoryBuffer])
def test_code_running_pickles_are_refused(tmp_path, payload, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'x': payload()}, path)
    with pytest.raises(CheckpointError, match='Refusing to load'):
        load_checkpoint_file(str(path))
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(torch.nn.Linear(1, 1), str(path))
    assert not (tmp_path / MARKER).exists()


def test_restricted_getattr_allows_only_statistics_methods():
    from mmdistill.utils.checkpoint import _history_buffer_getattr
    assert _history_buffer_getattr(HistoryBuffer, 'mean') is HistoryBuffer.mean
    for obj, name in ((HistoryBuffer, '__init__'), (HistoryBuffer, '__class__'),
                      (os, 'system')):
        with pytest.raises(pickle.UnpicklingError):
            _history_buffer_getattr(obj, name)


def test_downloaded_checkpoints_are_loaded_weights_only(tmp_path, monkeypatch):
    """torchvision://, open-mmlab:// and http(s):// all end in mmengine's
    load_url; a poisoned file in the download cache must be refused."""
    from mmengine.runner.checkpoint import get_torchvision_models
    cached = tmp_path / 'hub' / 'checkpoints' / os.path.basename(
        get_torchvision_models()['resnet18'])
    cached.parent.mkdir(parents=True)
    torch.save({'x': _RunsCode()}, cached)
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CheckpointError, match='Refusing to load'):
        load_checkpoint_file('torchvision://resnet18')
    assert not (tmp_path / MARKER).exists()
