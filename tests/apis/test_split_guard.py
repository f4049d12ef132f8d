"""The split guard on the synthetic videos (train 01-02, val 03, test 04)."""
import os.path as osp

import pytest

from mmdistill.apis import SplitLeakError, check_split_leaks, config_videos
from mmdistill.apis.runner import load_config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FRAME = osp.join(REPO, 'configs', 'benchmarks', 'phase',
                 'linear_resnet18_1xb16-coslr-2e_synthetic.py')
TEMPORAL = osp.join(REPO, 'configs', 'benchmarks', 'temporal',
                    'tecno_1xb1-10e_synthetic-features.py')


def frame_config(data_root, **options):
    options.update({
        f'{loader}.dataset.data_root': data_root
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader')
    })
    return load_config(FRAME, options)


def test_disjoint_splits_pass(synthetic_data_root):
    cfg = frame_config(synthetic_data_root)
    videos = config_videos(cfg)
    assert videos == dict(
        train=['video01', 'video02'], val=['video03'], test=['video04'])
    check_split_leaks(cfg, videos, name='frame.py')


def test_overlap_with_test_videos_is_named(synthetic_data_root):
    cfg = frame_config(
        synthetic_data_root,
        **{'train_dataloader.dataset.videos': ['video01', 'video04']})
    videos = config_videos(cfg)
    with pytest.raises(SplitLeakError) as err:
        check_split_leaks(cfg, videos, name='frame.py')
    message = str(err.value)
    assert message.startswith('frame.py: test videos must not be trained on')
    assert "train_dataloader uses the test videos ['video04']" in message
    assert 'would select the model' not in message


def test_selection_on_the_test_split_is_named(synthetic_data_root):
    cfg = frame_config(
        synthetic_data_root, **{'val_dataloader.dataset.videos': 'test'})
    with pytest.raises(SplitLeakError) as err:
        check_split_leaks(cfg, config_videos(cfg))
    message = str(err.value)
    assert "val_dataloader.dataset.videos='test' selects the test split" in \
        message
    assert "val_dataloader uses the test videos ['video04']" in message
    assert "default_hooks.checkpoint.save_best='phase/accuracy' would " \
        'select the model on them' in message


def test_temporal_config_is_checked_by_its_keys():
    """Before extraction there are no features: keys and explicit videos."""
    cfg = load_config(TEMPORAL)
    check_split_leaks(cfg, {}, test_videos=['video04'])
    cfg = load_config(TEMPORAL, {'val_dataloader.dataset.videos': 'test'})
    with pytest.raises(SplitLeakError, match="val_dataloader.dataset.videos="):
        check_split_leaks(cfg, {}, test_videos=['video04'])
    cfg = load_config(TEMPORAL)
    with pytest.raises(SplitLeakError,
                       match=r"train_dataloader uses the test videos "
                       r"\['video04'\]"):
        check_split_leaks(
            cfg, {'train': ['video01', 'video04']}, test_videos=['video04'])
