"""The split guard: no test video is trained on or used to select a model.

A phase-recognition number means nothing once a test video leaked into
training or model selection (Funke et al. 2023 found both in published
work). Before any run the benchmark builds the frame config's datasets,
resolves their videos and refuses to start when the training or validation
videos overlap the test videos, or when a config points its training or
validation data at the test split; the error names the videos or the key.
"""
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.utils import register_all_modules

from mmdistill.registry import DATASETS
from .errors import SplitLeakError

LOADERS = {'train': 'train_dataloader', 'val': 'val_dataloader',
           'test': 'test_dataloader'}
TEST_SPLIT = 'test'


def dataset_videos(dataset) -> List[str]:
    """The videos of a built dataset, in order: its ``videos`` attribute
    (:class:`~mmdistill.datasets.SurgicalFrames` and its subclasses, after
    the low-data choice), else the ``video`` / ``video_name`` of its items.

    Raises:
        ValueError: If the items name no video.
    """
    videos = getattr(dataset, 'videos', None)
    if isinstance(videos, (list, tuple)) and videos:
        return list(videos)
    names: Dict[str, None] = {}
    for idx in range(len(dataset)):
        info = dataset.get_data_info(idx)
        name = info.get('video', info.get('video_name'))
        if name is None:
            raise ValueError(
                f'{type(dataset).__name__} item {idx} names no video (no '
                '"video" or "video_name"); the phase benchmark needs video '
                'datasets such as SurgicalPhaseFrames')
        names[str(name)] = None
    return list(names)


def config_videos(cfg: Config) -> Dict[str, List[str]]:
    """``{'train': [...], 'val': [...], 'test': [...]}``: the videos of each
    dataloader the config has, from its built dataset."""
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    return {
        split: dataset_videos(DATASETS.build(cfg[key].dataset))
        for split, key in LOADERS.items() if cfg.get(key)
    }


def _test_split_keys(cfg: Config) -> List[str]:
    """``loader.dataset.key='test'`` settings of the train and val loaders."""
    found = []
    for split in ('train', 'val'):
        loader = cfg.get(LOADERS[split])
        dataset = loader.get('dataset') if loader else None
        if dataset and dataset.get('videos') == TEST_SPLIT:
            found.append(f"{LOADERS[split]}.dataset.videos='test'")
    return found


def check_split_leaks(cfg: Config,
                      videos: Dict[str, Sequence[str]],
                      test_videos: Optional[Sequence[str]] = None,
                      name: str = 'config') -> None:
    """Refuse test videos in training or model selection.

    Args:
        cfg: The merged config.
        videos: Resolved videos per split (``'train'``, ``'val'``, and
            ``'test'`` unless ``test_videos`` is given); splits left out are
            checked by their config keys only.
        test_videos: The test videos, when they come from another config
            (a temporal model tests on the frame config's test videos).
        name: The config, for the message.

    Raises:
        SplitLeakError: Naming every overlapping video and offending key.
    """
    test = set(videos.get('test', ()) if test_videos is None else test_videos)
    problems = [
        f'{key} selects the test split' for key in _test_split_keys(cfg)
    ]
    for split in ('train', 'val'):
        shared = sorted(test.intersection(videos.get(split, ())))
        if shared:
            problems.append(
                f'{LOADERS[split]} uses the test videos {shared}')
    selection = cfg.get('default_hooks', {}).get('checkpoint', {}).get(
        'save_best')
    val_leaks = any(p.startswith('val_dataloader') for p in problems)
    if selection and val_leaks:
        problems.append(
            f'default_hooks.checkpoint.save_best={selection!r} would select '
            'the model on them')
    if problems:
        raise SplitLeakError(
            f'{name}: test videos must not be trained on or used for model '
            'selection, but\n  ' + '\n  '.join(problems) + '\nPoint '
            'train_dataloader/val_dataloader at the train/val split (or drop '
            'validation: val_dataloader=None val_cfg=None val_evaluator=None '
            'default_hooks.checkpoint.save_best=None).')
