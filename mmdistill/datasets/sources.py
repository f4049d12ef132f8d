"""Where the raw videos and annotation files lie in the official downloads.

Cholec80 (also what :mod:`mmdistill.datasets.synthetic` writes)::

    <root>/videos/videoNN.mp4
    <root>/phase_annotations/videoNN-phase.txt
    <root>/tool_annotations/videoNN-tool.txt        (optional folder)

M2CAI16 workflow::

    <root>/train_dataset/workflow_video_NN.mp4 + workflow_video_NN.txt
    <root>/test_dataset/test_workflow_video_NN.mp4 + test_workflow_video_NN.txt

The video id is the file name without extension; ``.avi`` is accepted as
well as ``.mp4``.
"""
import os
import os.path as osp
import warnings
from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from .errors import SurgicalDataError

VIDEO_EXTENSIONS = ('.mp4', '.avi')
M2CAI16_FOLDERS = ('train_dataset', 'test_dataset')


@dataclass(frozen=True)
class VideoSource:
    """The raw files of one video.

    Attributes:
        video (str): Video id, e.g. ``video01``.
        video_path (str): The mp4/avi file.
        phase_path (str): Its official phase annotation (may not exist; the
            preparation reports that).
        tool_path (str, optional): Its tool annotation, when the dataset has
            them.
    """
    video: str
    video_path: str
    phase_path: str
    tool_path: Optional[str] = None


def _list_videos(folder: str) -> List[str]:
    if not osp.isdir(folder):
        return []
    return sorted(
        osp.join(folder, name) for name in os.listdir(folder)
        if osp.splitext(name)[1].lower() in VIDEO_EXTENSIONS
        and not name.startswith('.'))


def _cholec80_sources(root: str) -> List[VideoSource]:
    tool_dir = osp.join(root, 'tool_annotations')
    has_tools = osp.isdir(tool_dir)
    if not has_tools:
        warnings.warn(
            f'{tool_dir}: no such folder; preparing without tool labels '
            '(extract tool_annotations/ from the Cholec80 archive to keep '
            'them)', UserWarning, stacklevel=3)
    sources = []
    for path in _list_videos(osp.join(root, 'videos')):
        video = osp.splitext(osp.basename(path))[0]
        sources.append(
            VideoSource(
                video, path,
                osp.join(root, 'phase_annotations', f'{video}-phase.txt'),
                osp.join(tool_dir, f'{video}-tool.txt')
                if has_tools else None))
    return sources


def _m2cai16_sources(root: str) -> List[VideoSource]:
    sources = []
    for folder in M2CAI16_FOLDERS:
        for path in _list_videos(osp.join(root, folder)):
            video = osp.splitext(osp.basename(path))[0]
            sources.append(
                VideoSource(video, path, osp.join(root, folder,
                                                  f'{video}.txt')))
    return sources


def video_folders(root: str, dataset: str) -> List[str]:
    """The folders that hold the videos of ``dataset`` under ``root``."""
    if dataset == 'cholec80':
        return [osp.join(root, 'videos')]
    if dataset == 'm2cai16':
        return [osp.join(root, folder) for folder in M2CAI16_FOLDERS]
    raise ValueError(f'Unknown dataset {dataset!r}; expected cholec80 or '
                     'm2cai16')


def find_sources(
        root: str, dataset: str
) -> Tuple[List[VideoSource], Dict[str, SurgicalDataError]]:
    """List the videos of an official download.

    Args:
        root (str): The extracted archive (``cholec80/``, ``m2cai16/``).
        dataset (str): ``'cholec80'`` or ``'m2cai16'``.

    Returns:
        tuple: The usable sources sorted by video id, and for every video id
        found more than once (e.g. ``video01.mp4`` and ``video01.avi``) an
        error naming all its files; those ids are not in the first list.

    Raises:
        SurgicalDataError: If no video file is found.
    """
    finder = {'cholec80': _cholec80_sources, 'm2cai16': _m2cai16_sources}
    folders = video_folders(root, dataset)
    sources = finder[dataset](root)
    if not sources:
        raise SurgicalDataError(
            ' and '.join(folders),
            f'no {"/".join(VIDEO_EXTENSIONS)} videos found; expected the '
            f'official {dataset} layout (see docs/data.md)')
    by_id: Dict[str, List[VideoSource]] = defaultdict(list)
    for source in sources:
        by_id[source.video].append(source)
    unique, duplicates = [], {}
    for video, found in sorted(by_id.items()):
        if len(found) == 1:
            unique.append(found[0])
        else:
            paths = [s.video_path for s in found]
            duplicates[video] = SurgicalDataError(
                paths[0], f'duplicate video id {video!r}, also in '
                f'{paths[1:]}; keep one file per video')
    return unique, duplicates
