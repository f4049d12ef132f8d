"""Synthetic surgical videos in the Cholec80 format, for the demo and tests.

Writes real mp4 files (OpenCV, ``mp4v``; decord reads them) and official-style
annotation files, in the layout of the Cholec80 download::

    <out>/videos/videoNN.mp4
    <out>/phase_annotations/videoNN-phase.txt   Frame<TAB>Phase, every frame
    <out>/tool_annotations/videoNN-tool.txt     Frame<TAB>Grasper..., every
                                                fps-th frame

so they go through ``tools/data/prepare_phase_dataset.py --dataset cholec80``
like real data.

Content:

- **Phases** in surgical order with Cholec80's relative mean durations
  (EndoNet, Twinanda et al. 2017, Table 1), log-normal jitter per video and a
  floor of ``min_phase_seconds`` so every phase is seen at 1 fps; with
  probability ``backtrack_prob`` a late phase is revisited (packaging ↔
  cleaning or cleaning ↔ retraction), as often happens in Cholec80.
- **Tools** per second from per-phase presence probabilities loosely
  following Cholec80's usage, with persistence between seconds.
- **Images**: a moving tissue texture whose colour varies per video, with
  structures specific to each phase (fat blobs, duct/artery lines, clips,
  gallbladder, blood pools and bubbles, trocar) and drawn tools, under a
  random brightness/colour gain per second, sensor noise, vignetting and a
  circular field of view with black margins. Phases share the tissue, tools
  and gains, so colour statistics overlap: phases are learnable from
  structure, but a classifier on mean colour alone does poorly.

Everything is deterministic given ``seed``.
"""
import math
import os
import os.path as osp
from typing import List, Sequence, Tuple

import cv2
import numpy as np

from .raw_annotations import CHOLEC80_TOOLS
from ..utils.fileio import write_text_atomic
from .phases import CHOLEC80_PHASES

CHOLEC80_MEAN_PHASE_SECONDS = (125., 954., 168., 857., 98., 178., 83.)

# Rows: phases (Cholec80 order); columns: CHOLEC80_TOOLS.
TOOL_PROBABILITY = np.array([
    # Grasp Bipol Hook  Sciss Clipp Irrig Bag
    [0.60, 0.05, 0.50, 0.01, 0.01, 0.02, 0.00],  # Preparation
    [0.90, 0.05, 0.90, 0.01, 0.01, 0.02, 0.00],  # CalotTriangleDissection
    [0.70, 0.05, 0.10, 0.50, 0.70, 0.02, 0.00],  # ClippingCutting
    [0.90, 0.10, 0.90, 0.01, 0.01, 0.05, 0.00],  # GallbladderDissection
    [0.90, 0.02, 0.05, 0.01, 0.01, 0.02, 0.90],  # GallbladderPackaging
    [0.60, 0.50, 0.10, 0.01, 0.01, 0.60, 0.05],  # CleaningCoagulation
    [0.80, 0.05, 0.02, 0.01, 0.01, 0.05, 0.90],  # GallbladderRetraction
])
TOOL_PERSISTENCE = 0.8
PACKAGING, CLEANING, RETRACTION = 4, 5, 6


def phase_segments(rng: np.random.Generator,
                   seconds: float,
                   min_phase_seconds: float = 3.0,
                   backtrack_prob: float = 0.5) -> List[Tuple[int, float]]:
    """Phase ids and durations (s) of one video, in order.

    Raises:
        ValueError: If ``seconds`` cannot hold every phase's minimum.
    """
    num_phases = len(CHOLEC80_MEAN_PHASE_SECONDS)
    spare = seconds - num_phases * min_phase_seconds
    if spare < 0:
        raise ValueError(f'a {seconds} s video cannot hold {num_phases} '
                         f'phases of at least {min_phase_seconds} s')
    weights = np.array(CHOLEC80_MEAN_PHASE_SECONDS) * rng.lognormal(
        0., 0.35, num_phases)
    totals = min_phase_seconds + spare * weights / weights.sum()
    segments = list(enumerate(totals.tolist()))
    if rng.random() < backtrack_prob:
        # The earlier phase comes back for a quarter of its time in the
        # middle of the later one; every phase keeps its total duration.
        earlier, later = ((PACKAGING, CLEANING), (CLEANING,
                                                  RETRACTION))[rng.integers(2)]
        segments[earlier:later + 1] = [(earlier, 0.75 * totals[earlier]),
                                       (later, 0.5 * totals[later]),
                                       (earlier, 0.25 * totals[earlier]),
                                       (later, 0.5 * totals[later])]
    return [(int(p), d) for p, d in segments]


def phase_per_frame(segments: Sequence[Tuple[int, float]],
                    fps: int) -> np.ndarray:
    """Phase id of every frame, segment ends rounded (half up) to frames."""
    seconds = np.cumsum([duration for _, duration in segments])
    ends = np.floor(seconds * fps + 0.5).astype(int)
    starts = np.concatenate([[0], ends[:-1]])
    return np.concatenate([
        np.full(end - start, phase, dtype=np.int64)
        for (phase, _), start, end in zip(segments, starts, ends)
    ])


def tool_presence(rng: np.random.Generator,
                  phase_per_second: np.ndarray) -> np.ndarray:
    """``(seconds, 7)`` 0/1 tool presence following :data:`TOOL_PROBABILITY`.

    Each second keeps the previous state with probability
    :data:`TOOL_PERSISTENCE` (unless the phase changed), else redraws it.
    """
    presence = np.zeros((len(phase_per_second), len(CHOLEC80_TOOLS)),
                        dtype=np.uint8)
    for s, phase in enumerate(phase_per_second):
        draw = rng.random(len(CHOLEC80_TOOLS)) < TOOL_PROBABILITY[phase]
        keep = rng.random(len(CHOLEC80_TOOLS)) < TOOL_PERSISTENCE
        if s > 0 and phase == phase_per_second[s - 1]:
            draw = np.where(keep, presence[s - 1], draw)
        presence[s] = draw
    return presence


class FrameRenderer:
    """Draws the frames of one synthetic video (BGR, OpenCV's order).

    A scene (tissue crop, phase structures, tools, gain) is drawn once per
    second or phase change, slightly larger than the frame; the frames of
    that second are windows into it that follow the camera's drift, with
    noise, vignetting and the field-of-view mask added.

    Args:
        rng (np.random.Generator): The video's generator.
        width (int): Frame width.
        height (int): Frame height.
        fps (int): Frame rate.
    """

    def __init__(self, rng: np.random.Generator, width: int, height: int,
                 fps: int) -> None:
        self.rng, self.width, self.height, self.fps = rng, width, height, fps
        self.unit = height / 128
        self.margin = max(2, round(6 * self.unit))
        self.canvas = self._tissue(2 * height + 2 * self.margin,
                                   2 * width + 2 * self.margin)
        self.camera_phase = rng.uniform(0, 2 * math.pi, 2)
        self.tool_angles = np.deg2rad(
            np.array([200., 160., 340., 20., 35., 250., 300.]) +
            rng.uniform(-15, 15, len(CHOLEC80_TOOLS)))
        self.layouts = [self._layout(phase) for phase in range(7)]
        self.lens = self._lens()
        noise = rng.normal(0, 3, (4, height, width, 3))
        self.noise_up = np.clip(noise, 0, 255).astype(np.uint8)
        self.noise_down = np.clip(-noise, 0, 255).astype(np.uint8)

    def _tissue(self, height: int, width: int) -> np.ndarray:
        """Smooth reddish texture with highlights, colour varying per video."""
        base = np.array([70., 80., 165.]) + self.rng.uniform(-18, 18, 3)
        coarse = cv2.resize(
            self.rng.normal(0, 1, (height // 16 + 2, width // 16 + 2)),
            (width, height),
            interpolation=cv2.INTER_CUBIC)
        fine = cv2.resize(
            self.rng.normal(0, 1, (height // 4 + 2, width // 4 + 2)),
            (width, height),
            interpolation=cv2.INTER_CUBIC)
        texture = 30 * coarse + 10 * fine
        tissue = base + texture[..., None] * np.array([0.6, 0.7, 1.0])
        tissue = np.clip(tissue, 0, 255).astype(np.uint8)
        for _ in range(int(width * height / 4000)):
            center = (int(self.rng.integers(width)),
                      int(self.rng.integers(height)))
            cv2.circle(tissue, center, int(self.rng.integers(1, 3)),
                       (235, 235, 245), -1, cv2.LINE_AA)
        return tissue

    def _lens(self) -> np.ndarray:
        """Circular field of view with vignetting, as a 0-255 gain image."""
        h, w, u = self.height, self.width, self.unit
        cx = w / 2 + self.rng.uniform(-3, 3) * u
        cy = h / 2 + self.rng.uniform(-2, 2) * u
        radius = 0.55 * h * self.rng.uniform(0.97, 1.03)
        y, x = np.mgrid[:h, :w]
        r = np.hypot(x - cx, y - cy) / radius
        gain = np.where(r <= 1, 1 - 0.35 * r**2, 0) * 255
        return np.repeat(gain[..., None], 3, axis=2).astype(np.uint8)

    def _layout(self, phase: int) -> dict:
        """Random positions of the structures of ``phase`` in this video."""
        rng, w, h = self.rng, self.width, self.height
        center = np.array([w / 2, h / 2]) + rng.uniform(-0.1, 0.1, 2) * (w, h)
        return dict(
            center=center,
            points=rng.uniform((0.2 * w, 0.15 * h), (0.8 * w, 0.85 * h),
                               (12, 2)),
            sizes=rng.uniform(0.6, 1.4, 12),
            angle=rng.uniform(0, 2 * math.pi))

    def _draw_phase(self, img: np.ndarray, phase: int,
                    offset: np.ndarray) -> None:
        lay, u = self.layouts[phase], self.unit
        c = lay['center'] + offset
        pts = lay['points'] + offset
        a = lay['angle']

        def p(xy) -> Tuple[int, int]:
            return int(xy[0]), int(xy[1])

        def ray(length: float, angle: float) -> np.ndarray:
            return c + length * u * np.array(
                [math.cos(angle), math.sin(angle)])

        if phase == 0:  # fat and adhesions
            for xy, s in zip(pts, lay['sizes']):
                cv2.circle(img, p(xy), int(5 * s * u), (120, 195, 215), -1,
                           cv2.LINE_AA)
            cv2.line(img, p(pts[0]), p(pts[1]), (210, 215, 225),
                     max(1, int(u)), cv2.LINE_AA)
        elif phase in (1, 2):  # cystic duct and artery
            for da in (-0.35, 0.35):
                cv2.line(img, p(c), p(ray(60, a + da)), (150, 170, 205),
                         max(1, int(3 * u)), cv2.LINE_AA)
            cv2.line(img, p(c), p(ray(35, a + math.pi)), (150, 170, 205),
                     max(1, int(4 * u)), cv2.LINE_AA)
            if phase == 2:  # clips across both
                for length in (18, 28):
                    for da in (-0.35, 0.35):
                        box = (p(ray(length, a + da)), (8 * u, 3 * u),
                               math.degrees(a + da + math.pi / 2))
                        cv2.fillPoly(img,
                                     [cv2.boxPoints(box).astype(np.int32)],
                                     (205, 205, 210), cv2.LINE_AA)
        elif phase in (3, 4):  # gallbladder, smaller when being bagged
            axes = (int(35 * u), int(22 * u)) if phase == 3 else (int(18 * u),
                                                                  int(12 * u))
            cv2.ellipse(img, p(c), axes, math.degrees(a), 0, 360,
                        (95, 150, 135), -1, cv2.LINE_AA)
            cv2.ellipse(img, p(c), axes, math.degrees(a), 0, 360, (50, 90, 80),
                        max(1, int(2 * u)), cv2.LINE_AA)
            if phase == 3:  # the liver bed along one side
                cv2.ellipse(img, p(c),
                            (axes[0] + int(6 * u), axes[1] + int(6 * u)),
                            math.degrees(a), 200, 340, (40, 40, 105),
                            max(1, int(4 * u)), cv2.LINE_AA)
        elif phase == 5:  # blood pools, bubbles and coagulation marks
            for xy, s in zip(pts[:3], lay['sizes']):
                cv2.ellipse(img, p(xy), (int(14 * s * u), int(9 * s * u)),
                            math.degrees(a), 0, 360, (25, 25, 95), -1,
                            cv2.LINE_AA)
            for xy, s in zip(pts[3:], lay['sizes'][3:]):
                cv2.circle(img, p(xy), int(3 * s * u), (235, 235, 240),
                           max(1, int(u)), cv2.LINE_AA)
        else:  # retraction through the trocar at the border
            edge = c + 0.45 * self.height * np.array(
                [math.cos(a), math.sin(a)])
            cv2.circle(img, p(edge), int(18 * u), (25, 25, 30), -1,
                       cv2.LINE_AA)
            cv2.circle(img, p(edge), int(18 * u), (140, 140, 150),
                       max(1, int(2 * u)), cv2.LINE_AA)

    def _draw_bag(self, img: np.ndarray, offset: np.ndarray) -> None:
        u = self.unit
        c = np.array([0.65 * self.width, 0.65 * self.height]) + offset
        angles = np.linspace(0, 2 * math.pi, 9)[:-1]
        radii = 22 * u * self.rng.uniform(0.8, 1.2, len(angles))
        poly = c + np.stack([radii * np.cos(angles), radii * np.sin(angles)],
                            1)
        cv2.fillPoly(img, [poly.astype(np.int32)], (205, 210, 212),
                     cv2.LINE_AA)
        for i in (1, 4, 6):
            cv2.line(img, tuple(c.astype(int)), tuple(poly[i].astype(int)),
                     (165, 170, 175), max(1, int(u)), cv2.LINE_AA)

    def _draw_tool(self, img: np.ndarray, tool: int,
                   offset: np.ndarray) -> None:
        u = self.unit
        angle = self.tool_angles[tool] + self.rng.uniform(-0.1, 0.1)
        out = np.array([math.cos(angle), math.sin(angle)])
        side = np.array([-out[1], out[0]])
        center = np.array([self.width / 2, self.height / 2]) + offset
        tip = center + out * self.rng.uniform(10, 30) * u
        start = center + out * 2 * self.width

        def p(xy) -> Tuple[int, int]:
            return int(xy[0]), int(xy[1])

        def jaw(spread: float, length: float, colour, width: int) -> None:
            rot = math.cos(spread) * -out + math.sin(spread) * side
            cv2.line(img, p(tip), p(tip + length * u * rot), colour,
                     max(1, width), cv2.LINE_AA)

        name = CHOLEC80_TOOLS[tool]
        shaft = {
            'Bipolar': (150, 105, 60),
            'Irrigator': (200, 200, 200)
        }.get(name, (165, 165, 170))
        thick = {'Hook': 3, 'Clipper': 7, 'Irrigator': 6}.get(name, 5)
        cv2.line(img, p(start), p(tip), shaft, max(1, int(thick * u)),
                 cv2.LINE_AA)
        if name == 'Grasper':
            jaw(0.45, 9, (90, 90, 95), int(2 * u))
            jaw(-0.45, 9, (90, 90, 95), int(2 * u))
        elif name == 'Bipolar':
            for s in (-2, 2):
                cv2.line(img, p(tip + s * u * side),
                         p(tip + s * u * side - 8 * u * out), (200, 190, 180),
                         max(1, int(u)), cv2.LINE_AA)
        elif name == 'Hook':
            bend = tip - 6 * u * out
            cv2.line(img, p(tip), p(bend), (225, 225, 230), max(1, int(2 * u)),
                     cv2.LINE_AA)
            cv2.line(img, p(bend), p(bend + 5 * u * side), (225, 225, 230),
                     max(1, int(2 * u)), cv2.LINE_AA)
        elif name == 'Scissors':
            jaw(0.2, 12, (205, 205, 205), int(2 * u))
            jaw(-0.2, 12, (205, 205, 205), int(2 * u))
        elif name == 'Clipper':
            for s in (-3, 3):
                cv2.line(img, p(tip + s * u * side),
                         p(tip + s * u * side - 9 * u * out), (120, 120, 125),
                         max(1, int(2 * u)), cv2.LINE_AA)
        elif name == 'Irrigator':
            cv2.circle(img, p(tip), max(1, int(2 * u)), (30, 30, 30), -1,
                       cv2.LINE_AA)

    def camera(self, t: float) -> np.ndarray:
        """Top-left corner of the view in the tissue canvas at time ``t``.

        A slow Lissajous drift whose speed stays below ``margin`` px per
        second, so each second's frames fit in its scene.
        """
        amp = np.array([self.width, self.height]) / 2
        omega = 0.8 * self.margin / amp
        return amp + self.margin + amp * np.sin(omega * t + self.camera_phase)

    def scene(self, phase: int, tools: np.ndarray, second: int) -> np.ndarray:
        """The scene of one second: tissue crop, structures, tools, gain."""
        m = self.margin
        x, y = np.round(self.camera(second)).astype(int) - m
        img = self.canvas[y:y + self.height + 2 * m,
                          x:x + self.width + 2 * m].copy()
        offset = np.array([m, m]) + self.rng.uniform(-3, 3, 2) * self.unit
        if tools[CHOLEC80_TOOLS.index('SpecimenBag')]:
            self._draw_bag(img, offset)
        self._draw_phase(img, phase, offset)
        for tool in np.flatnonzero(tools):
            if CHOLEC80_TOOLS[tool] != 'SpecimenBag':
                self._draw_tool(img, tool, offset)
        gain = self.rng.uniform(0.75, 1.25) * self.rng.uniform(0.92, 1.08, 3)
        return np.clip(img * gain, 0, 255).astype(np.uint8)

    def frame(self, scene: np.ndarray, second: int, index: int) -> np.ndarray:
        """Frame ``index`` (of the video) as a window into ``scene``."""
        shift = self.camera(index / self.fps) - self.camera(second)
        x, y = np.clip(
            np.round(shift).astype(int) + self.margin, 0, 2 * self.margin)
        view = scene[y:y + self.height, x:x + self.width]
        view = cv2.subtract(
            cv2.add(view, self.noise_up[index % 4]),
            self.noise_down[index % 4])
        return cv2.multiply(view, self.lens, scale=1 / 255)


def render_frames(num: int,
                  size: Tuple[int, int] = (250, 250),
                  seed: int = 0) -> List[np.ndarray]:
    """``num`` synthetic 1 fps frames (BGR ``uint8``, ``size`` = (width,
    height); the prepared frames are 250 x 250), one second of a synthetic
    video each, for pipeline benchmarks and tests."""
    rng = np.random.default_rng(seed)
    width, height = size
    phases = phase_per_frame(phase_segments(rng, max(60., num)), 1)[:num]
    tools = tool_presence(rng, phases)
    renderer = FrameRenderer(rng, width, height, 1)
    return [
        renderer.frame(renderer.scene(phase, tools[i], i), i, i)
        for i, phase in enumerate(phases)
    ]


def _write_phase_file(path: str, labels: np.ndarray) -> None:
    rows = [f'{i}\t{CHOLEC80_PHASES[p]}' for i, p in enumerate(labels)]
    write_text_atomic(path, '\n'.join(['Frame\tPhase', *rows]) + '\n')


def _write_tool_file(path: str, presence: np.ndarray, fps: int) -> None:
    lines = ['Frame\t' + '\t'.join(CHOLEC80_TOOLS)] + [
        f'{s * fps}\t' + '\t'.join(map(str, row))
        for s, row in enumerate(presence)
    ]
    write_text_atomic(path, '\n'.join(lines) + '\n')


def generate_video(out_dir: str, video: str, rng: np.random.Generator,
                   seconds: float, size: Tuple[int, int], fps: int) -> None:
    """Write one video and its two annotation files under ``out_dir``.

    The annotations are written first and the video is renamed into place
    last, so an existing ``videos/<video>.mp4`` means the video is complete.
    """
    width, height = size
    labels = phase_per_frame(phase_segments(rng, seconds), fps)
    seconds_phase = labels[::fps]
    tools = tool_presence(rng, seconds_phase)
    _write_phase_file(
        osp.join(out_dir, 'phase_annotations', f'{video}-phase.txt'), labels)
    _write_tool_file(
        osp.join(out_dir, 'tool_annotations', f'{video}-tool.txt'), tools, fps)

    renderer = FrameRenderer(rng, width, height, fps)
    final = osp.join(out_dir, 'videos', f'{video}.mp4')
    tmp = osp.join(out_dir, 'videos', f'.{video}.partial.mp4')
    writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (width, height))
    if not writer.isOpened():
        raise OSError(f'OpenCV cannot write mp4v video {tmp}')
    scene = None
    for i, phase in enumerate(labels):
        second = i // fps
        if i % fps == 0 or phase != labels[i - 1]:
            scene = renderer.scene(phase, tools[second], second)
        writer.write(renderer.frame(scene, second, i))
    writer.release()
    os.replace(tmp, final)


def generate_synthetic_dataset(out_dir: str,
                               num_videos: int = 6,
                               seconds: Tuple[float, float] = (60., 120.),
                               size: Tuple[int, int] = (160, 128),
                               fps: int = 25,
                               seed: int = 0) -> List[str]:
    """Write ``num_videos`` synthetic videos in the Cholec80 layout.

    Resumable: videos whose mp4 exists are kept (each video only depends on
    ``seed`` and its index); leftovers of an interrupted run are replaced.

    Args:
        out_dir (str): Output folder (``videos/``, ``phase_annotations/``,
            ``tool_annotations/`` are created).
        num_videos (int): Number of videos, named ``video01``, ``video02``...
        seconds (tuple[float, float]): Range of video durations.
        size (tuple[int, int]): Frame ``(width, height)``.
        fps (int): Frame rate.
        seed (int): Random seed.

    Returns:
        list[str]: The video ids.
    """
    for folder in ('videos', 'phase_annotations', 'tool_annotations'):
        os.makedirs(osp.join(out_dir, folder), exist_ok=True)
    videos = [f'video{i:02d}' for i in range(1, num_videos + 1)]
    for index, video in enumerate(videos):
        rng = np.random.default_rng([seed, index])
        duration = rng.uniform(*seconds)
        if not osp.exists(osp.join(out_dir, 'videos', f'{video}.mp4')):
            generate_video(out_dir, video, rng, duration, size, fps)
    return videos
