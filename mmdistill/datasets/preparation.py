"""Raw surgical videos to cut, resized JPEG frames with unified annotations.

Per video (:func:`prepare_video`): read the official annotations, open the
video with decord, check that both count the same frames (up to a tolerance
for the usual off-by-a-few at the end), decode the frames sampled at ``fps``,
cut the black margin (:mod:`.fov`), resize, and write JPEGs and the unified
annotation (:mod:`.prepared_annotations`) in the layout of :mod:`.layout`.

For a whole download (:func:`prepare_dataset`): a pool of worker processes,
a progress bar, and resumption. A video's frames are written under a hidden
temporary folder that is renamed when complete; ``meta.json`` then lists the
video. Videos already listed are skipped on the next run; leftovers of an
interrupted run are removed.

The public pipelines (SV-RCNet, TMRNet, TeCNO) extract frames with ffmpeg at
1 fps and cut margins in a second script; here both happen in one pass, and
the frame-count check, which they do not make, catches annotation files that
belong to another video.
"""
import logging
import multiprocessing
import os
import os.path as osp
import shutil
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import cv2
import decord
import numpy as np
from mmengine.logging import print_log
from tqdm import tqdm

from .errors import SurgicalDataError
from .layout import (ANNOTATIONS_DIR, FRAMES_DIR, META_FILE,
                     PARTIAL_SUFFIX, annotation_path, dump_meta, frame_name,
                     frames_dir, load_meta, partial_path)
from .phases import get_phases
from .prepared_annotations import FrameAnnotation, write_frame_annotation
from .raw_annotations import (CHOLEC80_TOOLS, read_phase_file, read_tool_file,
                              sample_tools)
from .sources import VideoSource, find_sources
from ..utils.lifetime import end_with_parent
from ..utils.pid_lock import LockHeldError, PidLock
from .video import decode_frames, fit_frame, open_video, sample_indices

# In the output root: held by the running preparation, names its pid.
LOCK_FILE = '.prepare.lock'

SKIP_BAD_FIX = 're-download it or pass --skip-bad'


@dataclass(frozen=True)
class PrepareOptions:
    """How frames are extracted.

    Attributes:
        fps (float): Sampling rate; 1 for frame features and SSL, 5 for
            temporal features.
        size (tuple[int, int]): Output ``(width, height)``; the paper uses
            250x250.
        frame_tolerance (int): Largest tolerated difference, in native
            frames, between the video's frame count and the annotation's.
            Only frames covered by both are kept.
        fov_threshold (int): Grey level separating the field of view from
            the black margin (:func:`.fov.fov_box`).
        jpeg_quality (int): JPEG quality, 0-100.
        keep_aspect (bool): Pad the cut frame with black to the aspect of
            ``size`` instead of stretching it (:func:`.video.fit_frame`).
    """
    fps: float = 1.0
    size: Tuple[int, int] = (250, 250)
    frame_tolerance: int = 25
    fov_threshold: int = 15
    jpeg_quality: int = 95
    keep_aspect: bool = False

    def __post_init__(self) -> None:
        if self.fps <= 0:
            raise ValueError(f'fps must be positive, got {self.fps}')
        if len(self.size) != 2 or min(self.size) <= 0:
            raise ValueError(f'size must be (width, height) > 0, got '
                             f'{self.size}')
        if self.frame_tolerance < 0:
            raise ValueError('frame_tolerance must be >= 0')


@dataclass
class VideoResult:
    """What :func:`prepare_video` did.

    Attributes:
        entry (dict): The video's record for ``meta["videos"]``.
        seconds (float): Time spent on it.
    """
    entry: Dict[str, Any]
    seconds: float


@dataclass
class PreparationSummary:
    """Outcome of :func:`prepare_dataset`.

    Attributes:
        prepared (list[str]): Videos prepared by this run.
        reused (list[str]): Videos found finished by an earlier run.
        skipped (dict[str, str]): Bad videos skipped (``skip_bad=True``),
            with the reason.
        frames (int): Frames written by this run.
        worker_seconds (float): Time the workers spent on them.
    """
    prepared: List[str] = field(default_factory=list)
    reused: List[str] = field(default_factory=list)
    skipped: Dict[str, str] = field(default_factory=dict)
    frames: int = 0
    worker_seconds: float = 0.0

    @property
    def frames_per_second_per_worker(self) -> float:
        """Frames decoded, cut, resized and written per second per worker."""
        return self.frames / self.worker_seconds if self.worker_seconds else 0.


def _write_frame(path: str, frame_rgb: np.ndarray,
                 options: PrepareOptions) -> None:
    image = fit_frame(frame_rgb, options.size, options.fov_threshold,
                      options.keep_aspect)
    image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(path, image,
                       [cv2.IMWRITE_JPEG_QUALITY, options.jpeg_quality]):
        raise OSError(f'cannot write {path}')


def _replace_dir(src: str, dst: str) -> None:
    """Rename the finished folder ``src`` to ``dst``, replacing any old one."""
    if osp.exists(dst):
        old = osp.join(osp.dirname(dst),
                       f'.{osp.basename(dst)}.old{PARTIAL_SUFFIX}')
        os.rename(dst, old)
        os.rename(src, dst)
        shutil.rmtree(old)
    else:
        os.rename(src, dst)


def _check_lengths(source: VideoSource, num_video: int, num_annotated: int,
                   tolerance: int) -> None:
    diff = num_video - num_annotated
    if abs(diff) > tolerance:
        raise SurgicalDataError(
            source.phase_path,
            f'annotates {num_annotated} frames but {source.video_path} has '
            f'{num_video} ({abs(diff)} {"more" if diff > 0 else "fewer"} in '
            f'the video), beyond the tolerated {tolerance} '
            '(--frame-tolerance): the annotation may belong to another video '
            'or the video is truncated')


def _sample_tools(source: VideoSource, tools: Sequence[str],
                  indices: np.ndarray, tolerance: int) -> np.ndarray:
    annotation = read_tool_file(source.tool_path)
    if annotation.names != tuple(tools):
        raise SurgicalDataError(
            source.tool_path, f'tool columns {list(annotation.names)} differ '
            f'from the expected {list(tools)}')
    step = int(np.median(np.diff(annotation.frames))) if len(
        annotation.frames) > 1 else 1
    try:
        return sample_tools(annotation, indices, step - 1 + tolerance)
    except ValueError as e:
        raise SurgicalDataError(source.tool_path, str(e)) from None


def prepare_video(source: VideoSource, data_root: str, phases: Sequence[str],
                  tools: Sequence[str],
                  options: PrepareOptions) -> VideoResult:
    """Prepare one video into ``data_root``.

    Args:
        source (VideoSource): Its raw files.
        data_root (str): Output root (``frames/`` and ``annotations/`` must
            exist).
        phases (Sequence[str]): Phase vocabulary of the dataset.
        tools (Sequence[str]): Expected tool columns; empty for none.
        options (PrepareOptions): Extraction settings.

    Returns:
        VideoResult: The meta entry and the time taken.

    Raises:
        SurgicalDataError: For a missing/invalid annotation, an unreadable
            video, or frame counts differing beyond the tolerance. Nothing is
            left under the video's final names then.
    """
    start = time.perf_counter()
    phase_per_frame = read_phase_file(source.phase_path, phases)
    reader = open_video(source.video_path, SKIP_BAD_FIX)
    num_video, native_fps = len(reader), reader.get_avg_fps()
    _check_lengths(source, num_video, len(phase_per_frame),
                   options.frame_tolerance)
    indices = sample_indices(source.video_path,
                             min(num_video, len(phase_per_frame)),
                             native_fps, options.fps)
    tool_rows = _sample_tools(source, tools, indices,
                              options.frame_tolerance) if tools else None

    out_dir = frames_dir(data_root, source.video)
    tmp_dir = partial_path(out_dir)
    shutil.rmtree(tmp_dir, ignore_errors=True)
    os.makedirs(tmp_dir)
    try:
        frames = decode_frames(reader, indices, source.video_path,
                               SKIP_BAD_FIX)
        for k, frame in enumerate(frames):
            _write_frame(osp.join(tmp_dir, frame_name(k)), frame, options)
        write_frame_annotation(
            annotation_path(data_root, source.video),
            FrameAnnotation(phase_per_frame[indices], tool_rows, tuple(tools)))
        _replace_dir(tmp_dir, out_dir)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    entry = dict(
        num_frames=len(indices),
        source=source.video_path,
        source_fps=native_fps,
        source_frames=num_video,
        annotated_frames=len(phase_per_frame),
        length_mismatch=num_video - len(phase_per_frame))
    return VideoResult(entry, time.perf_counter() - start)


def _start_meta(data_root: str, dataset: str, options: PrepareOptions,
                tools: Sequence[str]) -> Dict[str, Any]:
    """A fresh meta dict, or the existing one if its settings match."""
    fps = options.fps
    meta = dict(
        dataset=dataset,
        fps=int(fps) if float(fps).is_integer() else fps,
        size=list(options.size),
        phases=list(get_phases(dataset)),
        tools=list(tools),
        videos={})
    if options.keep_aspect:
        meta['keep_aspect'] = True
    if not osp.exists(osp.join(data_root, META_FILE)):
        return meta
    old = load_meta(data_root)
    settings = ('dataset', 'fps', 'size', 'phases', 'tools', 'keep_aspect')
    differ = ', '.join(f'{k}: {old.get(k)} there, {meta.get(k)} now'
                       for k in settings if old.get(k) != meta.get(k))
    if differ:
        raise SurgicalDataError(
            osp.join(data_root, META_FILE),
            f'was prepared with other settings ({differ}); use another '
            'output folder or the same settings')
    return old


def _remove_leftovers(data_root: str) -> None:
    """Delete temporary files and folders of an interrupted run."""
    for folder in (data_root, osp.join(data_root, FRAMES_DIR),
                   osp.join(data_root, ANNOTATIONS_DIR)):
        for name in os.listdir(folder):
            if name.startswith('.') and name.endswith(PARTIAL_SUFFIX):
                path = osp.join(folder, name)
                if osp.isdir(path):
                    shutil.rmtree(path)
                else:
                    os.remove(path)


def is_prepared(data_root: str, meta: Dict[str, Any], video: str) -> bool:
    """Whether ``video`` was finished by an earlier run."""
    return (video in meta['videos']
            and osp.isdir(frames_dir(data_root, video))
            and osp.isfile(annotation_path(data_root, video)))


@contextmanager
def _preparation_lock(data_root: str) -> Iterator[None]:
    """Hold ``data_root``'s lock file: one preparation at a time per root."""
    lock = PidLock(osp.join(data_root, LOCK_FILE))
    try:
        lock.acquire()
    except LockHeldError as e:
        raise SurgicalDataError(
            data_root, f'another preparation (pid {e.pid}) is writing into '
            f'this folder (lock file {e.path}); wait for it to end or stop '
            'it') from None
    try:
        yield
    finally:
        lock.release()


def _init_worker(owner_pid: int) -> None:
    end_with_parent(owner_pid)
    cv2.setNumThreads(1)


def _run(todo: List[VideoSource], data_root: str, phases: Sequence[str],
         tools: Sequence[str], options: PrepareOptions,
         workers: int) -> Iterator[Tuple[VideoSource, Any]]:
    """Yield ``(source, VideoResult or SurgicalDataError)`` as videos end."""
    if workers == 1:
        for source in todo:
            try:
                yield source, prepare_video(source, data_root, phases, tools,
                                            options)
            except SurgicalDataError as e:
                yield source, e
        return
    # Forking this process could copy a lock held by a decord, OpenCV or
    # torch thread; workers fork from a clean server process instead.
    context = multiprocessing.get_context('forkserver')
    context.set_forkserver_preload([__name__])
    pool = ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(os.getpid(), ))
    try:
        futures = {
            pool.submit(prepare_video, s, data_root, phases, tools, options): s
            for s in todo
        }
        for future in as_completed(futures):
            try:
                yield futures[future], future.result()
            except SurgicalDataError as e:
                yield futures[future], e
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _skip_or_raise(video: str, error: SurgicalDataError, skip_bad: bool,
                   summary: PreparationSummary) -> None:
    if not skip_bad:
        raise error
    summary.skipped[video] = str(error)
    print_log(
        f'Skipped {video}: {error}', logger='current', level=logging.WARNING)


def _record(video: str, result: VideoResult, data_root: str,
            meta: Dict[str, Any], summary: PreparationSummary) -> None:
    """Add a finished video to ``meta.json`` and the summary."""
    meta['videos'][video] = result.entry
    meta['videos'] = dict(sorted(meta['videos'].items()))
    dump_meta(data_root, meta)
    summary.prepared.append(video)
    summary.frames += result.entry['num_frames']
    summary.worker_seconds += result.seconds
    mismatch = result.entry['length_mismatch']
    if mismatch:
        print_log(
            f'{video}: the video has {abs(mismatch)} '
            f'{"more" if mismatch > 0 else "fewer"} frames than its '
            f'annotation (tolerated); kept the {result.entry["num_frames"]} '
            'samples covered by both',
            logger='current')


def prepare_dataset(input_dir: str,
                    data_root: str,
                    dataset: str,
                    options: Optional[PrepareOptions] = None,
                    workers: int = 1,
                    skip_bad: bool = False,
                    videos: Optional[Sequence[str]] = None,
                    progress: bool = True) -> PreparationSummary:
    """Prepare an official Cholec80 / M2CAI16 download (or synthetic data).

    Args:
        input_dir (str): The extracted download (layout in :mod:`.sources`).
        data_root (str): Output root; created if needed. Re-running on it
            finishes only the videos not yet listed in its ``meta.json``.
        dataset (str): ``'cholec80'`` or ``'m2cai16'`` (synthetic data is in
            the Cholec80 format).
        options (PrepareOptions, optional): Extraction settings; must match
            those of an earlier run on ``data_root``.
        workers (int): Worker processes; 1 works in this process. Workers
            start through multiprocessing's forkserver, so a script calling
            this with ``workers > 1`` needs an ``if __name__ == '__main__':``
            guard.
        skip_bad (bool): Log and skip bad videos instead of stopping at the
            first one.
        videos (Sequence[str], optional): Prepare only these video ids.
        progress (bool): Show a progress bar.

    Returns:
        PreparationSummary: What was prepared, reused and skipped.

    Raises:
        SurgicalDataError: For bad input (unless ``skip_bad``), or when
            ``data_root`` was prepared with other settings.
    """
    options = options or PrepareOptions()
    if workers < 1:
        raise ValueError(f'workers must be >= 1, got {workers}')
    sources, duplicates = find_sources(input_dir, dataset)
    if videos is not None:
        found = {s.video for s in sources} | set(duplicates)
        unknown = sorted(set(videos) - found)
        if unknown:
            raise SurgicalDataError(input_dir, f'videos {unknown} not found')
        sources = [s for s in sources if s.video in videos]
        duplicates = {v: e for v, e in duplicates.items() if v in videos}
    tools = CHOLEC80_TOOLS if any(s.tool_path for s in sources) else ()

    for folder in (FRAMES_DIR, ANNOTATIONS_DIR):
        os.makedirs(osp.join(data_root, folder), exist_ok=True)
    with _preparation_lock(data_root):
        meta = _start_meta(data_root, dataset, options, tools)
        _remove_leftovers(data_root)
        decord.logging.set_level(decord.logging.QUIET)

        summary = PreparationSummary()
        for video, error in duplicates.items():
            _skip_or_raise(video, error, skip_bad, summary)
        todo = []
        for source in sources:
            if is_prepared(data_root, meta, source.video):
                summary.reused.append(source.video)
            else:
                todo.append(source)
        bar = tqdm(
            total=len(todo),
            unit='video',
            disable=not progress,
            desc=f'Preparing {dataset} at {options.fps:g} fps')
        run = _run(todo, data_root, meta['phases'], tools, options, workers)
        with closing(run), bar:
            for source, outcome in run:
                if isinstance(outcome, SurgicalDataError):
                    _skip_or_raise(source.video, outcome, skip_bad, summary)
                else:
                    _record(source.video, outcome, data_root, meta, summary)
                bar.update()
                bar.set_postfix(
                    frames_per_s_per_worker=round(
                        summary.frames_per_second_per_worker))
        dump_meta(data_root, meta)
        return summary
