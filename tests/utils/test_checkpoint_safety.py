"""mmdistill.utils.checkpoint: what the shared loader accepts and refuses.

The attacks are crafted in ``tests/security/attacks.py``; the same attacks
against every entry point that loads a checkpoint are in
``tests/security/test_entry_points.py``.
"""
import ast
import glob
import os
import os.path as osp
import pickle
from urllib.error import URLError

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import CheckpointLoader, load_checkpoint

from mmdistill.models.pretrained import PublicPretrainedInit
from mmdistill.registry import MODELS
from mmdistill.utils import (CheckpointError, get_state_dict,
                             load_checkpoint_file, parse_config_literals)
from mmdistill.utils import checkpoint as checkpoint_module
from security.attacks import ATTACKS, SENTINEL, RunsShell

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PICKLE_ATTACKS = [a for a in ATTACKS if not a.config_key and not a.env]
TORCH_ADVICE = ('weights_only=False', '`weights_only` set to `False`',
                'add_safe_globals', 'safe_globals')


def _mmengine_like_checkpoint():
    hub = MessageHub.get_instance('checkpoint-safety')
    hub.update_scalar('train/loss', np.float32(1.5))
    hub.update_scalar('train/loss', 2.5)
    hub.update_info('seed', np.int64(7))
    return dict(
        meta=dict(epoch=2, iter=10, seed=np.int64(7), dataset_meta=None,
                  big_endian=np.arange(3, dtype='>i4'),
                  complex=np.complex64(1 - 2j), flags=np.array([True, False])),
        message_hub=hub.state_dict(),
        state_dict={'weight': torch.ones(1, 3)},
        optimizer={'state': {}, 'param_groups': [{'lr': 0.1, 'params': [0]}]})


@pytest.fixture
def carrier(tmp_path):
    path = tmp_path / 'clean.pth'
    torch.save(_mmengine_like_checkpoint(), path)
    return str(path)


def test_mmengine_checkpoint_loads_with_plain_numpy(carrier):
    loaded = load_checkpoint_file(carrier)
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert buffer.mean() == pytest.approx(2.0)
    assert buffer.max() == pytest.approx(2.5)
    assert type(buffer._log_history) is np.ndarray
    meta = loaded['meta']
    assert meta['seed'] == 7 and type(meta['seed']) is np.int64
    assert type(meta['big_endian']) is np.ndarray
    # numpy's own unpickling gives the same values and dtype
    reference = pickle.loads(pickle.dumps(np.arange(3, dtype='>i4')))
    assert meta['big_endian'].dtype == reference.dtype
    assert meta['big_endian'].tolist() == [0, 1, 2]
    assert meta['complex'] == np.complex64(1 - 2j)
    assert meta['flags'].tolist() == [True, False]
    # mmengine's own loading goes through the same loader.
    model = torch.nn.Linear(3, 1, bias=False)
    load_checkpoint(model, carrier, strict=False)
    assert torch.equal(model.weight, torch.ones(1, 3))


@pytest.mark.parametrize('attack', PICKLE_ATTACKS, ids=str)
def test_hostile_pickles_are_refused_with_our_message(tmp_path, carrier,
                                                      attack, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = str(tmp_path / f'{attack.name}.pth')
    attack.write(carrier, path, str(tmp_path / SENTINEL))
    for load in (load_checkpoint_file,
                 lambda p: load_checkpoint(torch.nn.Linear(1, 1), p),
                 lambda p: CheckpointLoader.load_checkpoint(p)):
        with pytest.raises(CheckpointError, match='Refusing to load') as err:
            load(path)
        message = str(err.value)
        assert path in message
        assert not any(advice in message for advice in TORCH_ADVICE), message
    assert not (tmp_path / SENTINEL).exists()
    # numeric dtypes are process-wide singletons: a forged dtype state must
    # not have reached them.
    for dtype in ('f8', 'f4', 'i8', 'u1', '?'):
        assert not np.dtype(dtype).hasobject and np.dtype(dtype).fields is None


def test_refusal_says_what_was_refused(tmp_path, carrier):
    path = str(tmp_path / 'evil.pth')
    torch.save({'x': RunsShell(str(tmp_path / SENTINEL))}, path)
    with pytest.raises(CheckpointError, match='GLOBAL posix.system'):
        load_checkpoint_file(path)


def test_restricted_getattr_allows_only_statistics_methods():
    getattr_ = checkpoint_module._history_buffer_getattr
    assert getattr_(HistoryBuffer, 'mean') is HistoryBuffer.mean
    for obj, name in ((HistoryBuffer, '__init__'),
                      (HistoryBuffer, '__class__'), (os, 'system')):
        with pytest.raises(pickle.UnpicklingError):
            getattr_(obj, name)


@pytest.mark.parametrize('value', ['1', 'true', 'YES'])
def test_environment_variable_refuses_every_load(carrier, monkeypatch, value):
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', value)
    for load in (load_checkpoint_file,
                 lambda p: load_checkpoint(torch.nn.Linear(3, 1), p)):
        with pytest.raises(CheckpointError,
                           match='TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD') as err:
            load(carrier)
        assert carrier in str(err.value)
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '0')
    assert load_checkpoint_file(carrier)['meta']['epoch'] == 2


def _torch_load_calls(path):
    tree = ast.parse(open(path).read(), path)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == 'load'
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == 'torch'):
            yield node


def test_every_torch_load_passes_weights_only_true():
    files = [
        f for pattern in ('mmdistill/**/*.py', 'tools/**/*.py')
        for f in glob.glob(osp.join(REPO, pattern), recursive=True)
    ]
    assert len(files) > 20
    offenders = []
    for path in files:
        for call in _torch_load_calls(path):
            explicit = [
                kw for kw in call.keywords if kw.arg == 'weights_only'
                and isinstance(kw.value, ast.Constant)
                and kw.value.value is True
            ]
            if not explicit:
                offenders.append(f'{osp.relpath(path, REPO)}:{call.lineno}')
    assert not offenders, offenders


def test_every_mmengine_scheme_is_routed_through_our_loader():
    for prefix, loader in CheckpointLoader._schemes.items():
        assert loader.__module__.startswith('mmdistill.'), (prefix, loader)


def test_empty_and_truncated_checkpoints_name_the_file(tmp_path, carrier):
    empty = tmp_path / 'epoch_2.pth'
    empty.write_bytes(b'')
    data = open(carrier, 'rb').read()
    for size, what in ((len(data) // 2, 'truncated'), (100, 'truncated')):
        cut = tmp_path / f'cut_{size}.pth'
        cut.write_bytes(data[:size])
        for load in (load_checkpoint_file, CheckpointLoader.load_checkpoint):
            with pytest.raises(CheckpointError, match=what) as err:
                load(str(cut))
            assert str(cut) in str(err.value)
    with pytest.raises(CheckpointError, match=r'empty \(0 bytes\)') as err:
        load_checkpoint(torch.nn.Linear(3, 1), str(empty))
    assert str(empty) in str(err.value)


def test_torch_format_error_names_the_file(tmp_path):
    path = tmp_path / 'not_a_checkpoint.pth'
    path.write_bytes(b'PK\x03\x04' + b'\0' * 64)
    # zip magic, no archive: refused by the same rule as a cut file
    with pytest.raises(CheckpointError, match=str(path)):
        load_checkpoint_file(str(path))


def _timm_resnet18():
    torch.manual_seed(0)
    return MODELS.build(
        dict(type='TIMMBackbone', model_name='resnet18', pretrained=False))


@pytest.mark.parametrize('name', ['weights.safetensors', 'weights.bin'])
def test_safetensors_load_like_pth(tmp_path, name):
    """A timm checkpoint as .safetensors (by extension, or by header under
    another name) loads exactly as the same weights in a .pth file."""
    from safetensors.torch import save_file
    import timm
    source = timm.create_model('resnet18', pretrained=False).state_dict()
    save_file(source, str(tmp_path / name))
    torch.save(source, tmp_path / 'weights.pth')
    loaded = load_checkpoint_file(str(tmp_path / name))
    assert sorted(loaded) == sorted(source)
    assert all(torch.equal(loaded[k], source[k]) for k in source)

    from_safetensors, from_pth = _timm_resnet18(), _timm_resnet18()
    PublicPretrainedInit(str(tmp_path / name), format='timm')(from_safetensors)
    PublicPretrainedInit(str(tmp_path / 'weights.pth'),
                         format='timm')(from_pth)
    a, b = from_safetensors.state_dict(), from_pth.state_dict()
    assert torch.equal(a['timm_model.conv1.weight'], source['conv1.weight'])
    assert all(torch.equal(a[k], b[k]) for k in b)

    # The downstream rules are the same: a checkpoint missing most of the
    # backbone is refused alike, whatever its file format.
    partial = {k: v for k, v in source.items() if k.startswith('layer4')}
    save_file(partial, str(tmp_path / 'partial.safetensors'))
    torch.save(partial, tmp_path / 'partial.pth')
    errors = []
    for path in ('partial.safetensors', 'partial.pth'):
        with pytest.raises(CheckpointError) as err:
            PublicPretrainedInit(str(tmp_path / path),
                                 format='timm')(_timm_resnet18())
        errors.append(str(err.value).replace(path, 'FILE'))
    assert errors[0] == errors[1]


def test_truncated_safetensors_names_the_file(tmp_path):
    from safetensors.torch import save_file
    path = tmp_path / 'cut.safetensors'
    save_file({'w': torch.ones(64)}, str(path))
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(CheckpointError, match='cut.safetensors'):
        load_checkpoint_file(str(path))


OFFLINE_SOURCES = [
    ('torchvision://resnet18',
     'https://download.pytorch.org/models/resnet18-f37072fd.pth'),
    ('open-mmlab://resnet50_v1c', 'https://download.openmmlab.com/pretrain/'
     'third_party/resnet50_v1c-2cccc1ad.pth'),
    ('mmcls://vgg11', 'https://download.openmmlab.com/mmclassification/v0/'
     'vgg/vgg11_batch256_imagenet_20210208-4271cd6c.pth'),
    ('https://example.org/models/r18.pth',
     'https://example.org/models/r18.pth'),
]


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """No network, as on an offline machine: every request fails in
    urlopen with URLError (and no socket may connect)."""

    def no_network(*args, **kwargs):
        raise URLError(OSError(101, 'Network is unreachable'))

    def no_socket(*args, **kwargs):
        raise AssertionError('a test tried to reach the network')

    monkeypatch.setattr(torch.hub, 'urlopen', no_network)
    monkeypatch.setattr('socket.socket.connect', no_socket)
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    return tmp_path / 'torch_home' / 'hub' / 'checkpoints'


@pytest.mark.parametrize('source,url', OFFLINE_SOURCES)
def test_offline_download_says_what_to_fetch_and_where(offline, source, url):
    with pytest.raises(CheckpointError) as err:
        load_checkpoint_file(source)
    message = str(err.value)
    cached = offline / osp.basename(url)
    assert '\n' not in message
    assert url in message and f'put it at {cached}' in message
    # Following the message works.
    torch.save({'state_dict': {'backbone.w': torch.ones(2)}}, cached)
    weights = get_state_dict(load_checkpoint_file(source))
    assert torch.equal(list(weights.values())[0], torch.ones(2))


def test_downloaded_checkpoints_are_checked_like_files(offline, monkeypatch):
    """A poisoned file in the download cache is refused, naming it."""
    cached = offline / 'resnet18-f37072fd.pth'
    cached.parent.mkdir(parents=True)
    torch.save({'x': RunsShell(str(offline / SENTINEL))}, cached)
    with pytest.raises(CheckpointError, match='Refusing to load') as err:
        load_checkpoint_file('torchvision://resnet18')
    assert str(cached) in str(err.value)
    assert 'torchvision://resnet18' in str(err.value)
    assert not (offline / SENTINEL).exists()


def test_config_literals_match_the_executed_config():
    """mmengine's pretty_text of every config of the repo parses, without
    execution, to the values that executing the config file gives."""
    paths = [
        p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                             recursive=True) if '_base_' not in p
    ]
    assert len(paths) > 20
    for path in paths:
        cfg = Config.fromfile(path)
        parsed = parse_config_literals(cfg.pretty_text)
        assert Config(parsed).to_dict() == cfg.to_dict(), path


@pytest.mark.parametrize('text,line', [
    ('import os\nx = 1\n', 1),
    ("x = dict(a=1)\ny = __import__('os').system('true')\n", 2),
    ('x = open("f")\n', 1),
    ('x = [1, y]\n', 1),
    ('x = dict(**other)\n', 1),
    ('x = dict([1], [2])\n', 1),
    ('x.y = 1\n', 1),
])
def test_config_literals_refuse_code(text, line, tmp_path):
    with pytest.raises(CheckpointError, match=f'TEXT, line {line}'):
        parse_config_literals(text, 'TEXT')


def test_meta_config_is_dropped_or_refused(tmp_path, carrier):
    checkpoint = torch.load(carrier, weights_only=True)
    checkpoint['meta']['config'] = "gpu_ids = [0, 1]\nmodel = dict(a=-1)\n"
    checkpoint['meta']['cfg'] = 'model = dict(type="X")\n'
    literal = str(tmp_path / 'literal.pth')
    torch.save(checkpoint, literal)
    loaded = load_checkpoint_file(literal)
    assert 'config' not in loaded['meta']
    assert loaded['meta']['cfg'] == 'model = dict(type="X")\n'

    checkpoint['meta']['config'] = f"import os\nos.system('touch {SENTINEL}')"
    code = str(tmp_path / 'code.pth')
    torch.save(checkpoint, code)
    with pytest.raises(CheckpointError, match="meta\\['config'\\], line 1"):
        load_checkpoint(torch.nn.Linear(3, 1), code)
    assert not (tmp_path / SENTINEL).exists()
