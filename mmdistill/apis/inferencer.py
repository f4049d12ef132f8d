"""Phases of a new video: frame model, then temporal model, no annotation.

:class:`PhaseInferencer` follows mmpretrain's ``ImageClassificationInferencer``:
it is built from configs and weights, runs the config's test pipeline (its
``LoadImageFromFile`` replaced by the decoded frame) and returns plain
results. Unlike mmpretrain's, its input is a whole raw video, decoded by
:class:`mmdistill.datasets.video.SampledVideo` -- the code path that prepares
training frames (sampling at ``k / fps``, margin cut, resize) -- and its
output is a per-frame phase sequence:

- **frame model only**: the softmax of the frame classifier (a fine-tuned
  or linear-probed ``ImageClassifier`` of ``configs/benchmarks/phase/``);
- **with a temporal model** (a ``TemporalPhaseModel`` of
  ``configs/benchmarks/temporal/``): the frame model's backbone features,
  globally average pooled as ``tools/extract_features.py`` computes them,
  go through the TCN, whose last stage gives the phases.

Offline, the TCN sees the whole video. Online (``online=True``, a causal
TCN), frames go through one at a time and the prediction at ``t`` uses
frames ``<= t`` only, at constant cost per frame
(:class:`mmdistill.models.temporal.CausalTCNStream`): the results are those
of the offline causal network on every prefix.

Every checkpoint is read by :func:`mmdistill.utils.checkpoint.load_checkpoint_file`
(``weights_only``); configs come only from the files given, never from
checkpoint metadata. Mismatches between the pieces fail before any frame is
decoded, naming the files.
"""
import copy
import os.path as osp
import time
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate
from mmengine.registry import init_default_scope
from mmpretrain.utils import register_all_modules
from torch import nn
from tqdm import tqdm

import mmdistill.models  # noqa: F401  (registers the temporal models)
from mmdistill.datasets.layout import META_FILE, load_meta
from mmdistill.datasets.phases import get_phases
from mmdistill.datasets.video import SampledVideo
from mmdistill.evaluation.label_files import write_label_file
from mmdistill.models.utils.embedding import backbone_embedding
from mmdistill.registry import MODELS, TRANSFORMS
from mmdistill.utils.checkpoint import get_state_dict, load_checkpoint_file
from mmdistill.utils.fileio import atomic_write
from mmdistill.visualization import draw_phase_ribbon, write_overlay_video

TCN_INPUT_KEY = 'tcn.stages.0.conv_in.weight'


class InferenceSetupError(ValueError):
    """Configs, checkpoints and data of a :class:`PhaseInferencer` do not
    fit together; the message names the files and the fix."""


@dataclass
class PhasePrediction:
    """Per-frame phases of one video.

    Attributes:
        video: The video file.
        dataset: Phase vocabulary (``'cholec80'`` or ``'m2cai16'``).
        fps: Sampling rate; row ``k`` is at ``k / fps`` seconds.
        times: Time of each row in seconds, [T].
        probs: Phase probabilities, [T, num_phases], rows sum to 1.
        labels: Predicted phase ids (argmax of ``probs``), [T].
        online: Whether the prediction at ``t`` used frames ``<= t`` only.
        seconds: Wall time of the inference (decoding included).
    """
    video: str
    dataset: str
    fps: float
    times: np.ndarray
    probs: np.ndarray
    labels: np.ndarray
    online: bool
    seconds: float

    @property
    def phases(self) -> Tuple[str, ...]:
        """Phase names in id order."""
        return get_phases(self.dataset)

    @property
    def frames_per_second(self) -> float:
        """Frames inferred per second of wall time."""
        return len(self.labels) / self.seconds if self.seconds else 0.

    def summary(self) -> str:
        """One line: frames, seconds, frames/s."""
        mode = 'online' if self.online else 'offline'
        return (f'{self.video}: {len(self.labels)} frames at {self.fps:g} '
                f'fps ({mode}) in {self.seconds:.1f} s, '
                f'{self.frames_per_second:.1f} frames/s')


def _find_in_pipeline(pipeline: Sequence[dict], kind: str) -> Optional[dict]:
    return next((t for t in pipeline if t.get('type') == kind), None)


def _evaluator_dataset(cfg: Config) -> Optional[str]:
    """``dataset`` of the config's PhaseMetric, if it has one."""
    for key in ('test_evaluator', 'val_evaluator'):
        evaluators = cfg.get(key) or []
        if isinstance(evaluators, dict):
            evaluators = [evaluators]
        for evaluator in evaluators:
            if evaluator.get('type') == 'PhaseMetric' and evaluator.get(
                    'dataset'):
                return evaluator['dataset']
    return None


def _strip_prefix(state: Dict[str, torch.Tensor],
                  prefix: str) -> Dict[str, torch.Tensor]:
    return {(k[len(prefix):] if k.startswith(prefix) else k): v
            for k, v in state.items()}


def _load_weights(path: str) -> Dict[str, torch.Tensor]:
    if not osp.isfile(path) and '://' not in path:
        raise InferenceSetupError(f'{path}: checkpoint file not found')
    return _strip_prefix(get_state_dict(load_checkpoint_file(path)),
                         'module.')


class PhaseInferencer:
    """Surgical phases of raw videos from a frame and a temporal model.

    Args:
        frame_config: Config of the frame model (an mmpretrain
            ``ImageClassifier`` with a test pipeline), e.g.
            ``configs/benchmarks/phase/finetune_resnet50_...py``.
        frame_checkpoint: Its weights: a full checkpoint (``backbone.*``,
            ``neck.*``, ``head.*``), or, with a temporal model, backbone
            weights alone.
        temporal_config: Config of a ``TemporalPhaseModel``; None predicts
            with the frame classifier alone.
        temporal_checkpoint: Its weights.
        device: ``'cpu'``, ``'cuda'``, ``'cuda:1'``...
        dataset: Phase vocabulary; default that of the prepared data the
            frame config trained on (its ``meta.json``), else the config's
            ``PhaseMetric``.
        data_root: Prepared data the frame model trained on; default the
            ``data_root`` of the frame config's test dataset. Its
            ``meta.json`` gives the frame size and ``keep_aspect``.
        size: Frame ``(width, height)`` before the test pipeline; default
            that of the prepared data, else the scale of a ``Resize`` that
            opens the test pipeline.
        keep_aspect: Pad instead of stretching
            (:func:`mmdistill.datasets.video.fit_frame`); default as the
            prepared data.
        fps: Sampling rate of the video (the temporal model's feature rate).
        fov_threshold: Grey level of the margin cut.
        batch_size: Frames per forward of the frame model (offline).

    Raises:
        InferenceSetupError: When the pieces do not fit (see the message).
    """

    def __init__(self,
                 frame_config: str,
                 frame_checkpoint: str,
                 temporal_config: Optional[str] = None,
                 temporal_checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 dataset: Optional[str] = None,
                 data_root: Optional[str] = None,
                 size: Optional[Tuple[int, int]] = None,
                 keep_aspect: Optional[bool] = None,
                 fps: float = 1.0,
                 fov_threshold: int = 15,
                 batch_size: int = 32) -> None:
        if (temporal_config is None) != (temporal_checkpoint is None):
            raise InferenceSetupError(
                'Give both a temporal config and a temporal checkpoint, or '
                f'neither (got config={temporal_config!r}, '
                f'checkpoint={temporal_checkpoint!r})')
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        register_all_modules(init_default_scope=False)
        self.frame_config = frame_config
        self.frame_checkpoint = frame_checkpoint
        self.temporal_config = temporal_config
        self.temporal_checkpoint = temporal_checkpoint
        self.device = torch.device(device)
        self.fps = fps
        self.fov_threshold = fov_threshold
        self.batch_size = batch_size

        cfg = Config.fromfile(frame_config)
        init_default_scope(cfg.get('default_scope', 'mmpretrain'))
        meta = self._prepared_meta(cfg, data_root)
        self.dataset = self._resolve_dataset(cfg, dataset, meta)
        self.phases = get_phases(self.dataset)
        self.pipeline = self._build_pipeline(cfg)
        self.size = self._resolve_size(cfg, size, meta, data_root)
        self.keep_aspect = bool(
            keep_aspect if keep_aspect is not None else (
                meta or {}).get('keep_aspect', False))
        self.tcn: Optional[nn.Module] = None
        self.model = self._build_frame_model(cfg)
        self.feature_dim = self._probe_feature_dim()
        if temporal_config is not None:
            self.tcn = self._build_tcn()

    # -- setup ---------------------------------------------------------------

    @staticmethod
    def _data_root(cfg: Config, data_root: Optional[str]) -> Optional[str]:
        if data_root is not None:
            return data_root
        dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
        return dataset.get('data_root')

    def _prepared_meta(self, cfg: Config,
                       data_root: Optional[str]) -> Optional[dict]:
        root = self._data_root(cfg, data_root)
        if root is None or not osp.isfile(osp.join(root, META_FILE)):
            if data_root is not None:
                raise InferenceSetupError(
                    f'{osp.join(data_root, META_FILE)}: missing; data_root '
                    'must be a folder written by '
                    'tools/data/prepare_phase_dataset.py')
            return None
        return load_meta(root)

    def _resolve_dataset(self, cfg: Config, dataset: Optional[str],
                         meta: Optional[dict]) -> str:
        name = dataset or (meta or {}).get('dataset') or _evaluator_dataset(
            cfg)
        if name is None:
            raise InferenceSetupError(
                f'{self.frame_config}: cannot tell the phase vocabulary (no '
                'prepared meta.json under its data_root, no PhaseMetric '
                'evaluator); pass dataset="cholec80" / --dataset cholec80')
        try:
            get_phases(name)
        except ValueError as e:
            raise InferenceSetupError(str(e)) from None
        return name

    def _build_pipeline(self, cfg: Config) -> Compose:
        try:
            pipeline = list(cfg.test_dataloader.dataset.pipeline)
        except AttributeError:
            raise InferenceSetupError(
                f'{self.frame_config}: no test_dataloader.dataset.pipeline; '
                'the frame config must say how frames are fed to the model '
                '(e.g. inherit configs/_base_/datasets/*_phase_frames.py)'
            ) from None
        # Frames come decoded, as mmpretrain's inferencers feed arrays.
        pipeline = [t for t in pipeline if t.get('type') != 'LoadImageFromFile']
        self._pipeline_cfg = pipeline
        return Compose([TRANSFORMS.build(copy.deepcopy(t)) for t in pipeline])

    def _resolve_size(self, cfg: Config, size: Optional[Tuple[int, int]],
                      meta: Optional[dict],
                      data_root: Optional[str]) -> Tuple[int, int]:
        if size is not None:
            return tuple(size)
        if meta is not None:
            return tuple(meta['size'])
        first = self._pipeline_cfg[0] if self._pipeline_cfg else {}
        scale = first.get('scale')
        if first.get('type') == 'Resize' and isinstance(
                scale, (tuple, list)) and len(scale) == 2:
            return tuple(scale)
        root = self._data_root(cfg, data_root)
        raise InferenceSetupError(
            f'{self.frame_config}: its test pipeline takes frames as '
            'tools/data/prepare_phase_dataset.py prepared them, but their '
            f'size is unknown: {osp.join(str(root), META_FILE)} does not '
            'exist. Pass the prepared data root (data_root= / --data-root) '
            'or the frame size used for training (size=(250, 250) / '
            '--size 250)')

    def _build_frame_model(self, cfg: Config) -> nn.Module:
        model_cfg = copy.deepcopy(cfg.model)
        if cfg.get('data_preprocessor') is not None:
            model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
        # Weights come from frame_checkpoint, not from the training init.
        model_cfg.get('backbone', {}).pop('init_cfg', None)
        if model_cfg.get('head') is not None and 'num_classes' in \
                model_cfg.head:
            model_cfg.head.num_classes = len(self.phases)
        model = MODELS.build(model_cfg)
        if not hasattr(model, 'backbone'):
            raise InferenceSetupError(
                f'{self.frame_config}: model {type(model).__name__} has no '
                'backbone; expected an ImageClassifier')
        state = _load_weights(self.frame_checkpoint)
        if not any(k.startswith('backbone.') for k in state):
            state = {f'backbone.{k}': v for k, v in state.items()}
        self._check_frame_weights(model, state)
        model.load_state_dict(state, strict=False)
        return model.to(self.device).eval()

    def _check_frame_weights(self, model: nn.Module,
                             state: Dict[str, torch.Tensor]) -> None:
        expected = model.state_dict()
        needed = ('backbone.', ) if self.temporal_config else (
            'backbone.', 'neck.', 'head.')
        for key, value in state.items():
            if key not in expected or expected[key].shape == value.shape:
                continue
            if key.startswith('head.'):
                raise InferenceSetupError(
                    f'{self.frame_checkpoint}: its classifier has '
                    f'{value.shape[0]} classes ({key} {tuple(value.shape)}) '
                    f'but the phase list of {self.dataset} has '
                    f'{len(self.phases)} ({", ".join(self.phases)}); use the '
                    'checkpoint trained on this dataset or pass the matching '
                    '--dataset')
            if key.startswith(needed):
                raise InferenceSetupError(
                    f'{self.frame_checkpoint}: {key} has shape '
                    f'{tuple(value.shape)} but the model of '
                    f'{self.frame_config} expects '
                    f'{tuple(expected[key].shape)}; the checkpoint belongs '
                    'to another architecture')
        missing = sorted(k for k in expected
                         if k.startswith(needed) and k not in state
                         and not k.endswith('num_batches_tracked'))
        if missing and self.temporal_config is None and all(
                k.startswith(('neck.', 'head.')) for k in missing):
            raise InferenceSetupError(
                f'{self.frame_checkpoint}: no classifier weights ({missing[0]}'
                ' ...); it is a backbone-only or self-supervised checkpoint. '
                'Give a fine-tuned frame checkpoint, or a temporal model '
                '(--temporal-config/--temporal-checkpoint)')
        if missing:
            raise InferenceSetupError(
                f'{self.frame_checkpoint}: {len(missing)} weights of the '
                f'model of {self.frame_config} are missing, e.g. '
                f'{missing[:3]}; the checkpoint belongs to another model')

    def _frame_inputs(self, frames: Sequence[np.ndarray]) -> dict:
        """Run the test pipeline on RGB frames and collate a batch."""
        items = []
        for frame in frames:
            # mmpretrain pipelines take BGR images, as cv2.imread gives.
            bgr = np.ascontiguousarray(frame[..., ::-1])
            items.append(
                self.pipeline(
                    dict(
                        img=bgr,
                        img_shape=bgr.shape[:2],
                        ori_shape=bgr.shape[:2])))
        return default_collate(items)

    @torch.no_grad()
    def _frame_forward(
        self, frames: Sequence[np.ndarray]
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Pooled features [N, D] and (without TCN) phase probabilities."""
        data = self.model.data_preprocessor(self._frame_inputs(frames), False)
        outputs = self.model.backbone(data['inputs'])
        feats = backbone_embedding(self.model.backbone, outputs)
        if self.tcn is not None:
            return feats, None
        neck = self.model.neck(outputs) if self.model.with_neck else outputs
        return feats, F.softmax(self.model.head(neck), dim=1)

    def _probe_feature_dim(self) -> int:
        black = np.zeros((self.size[1], self.size[0], 3), np.uint8)
        return self._frame_forward([black])[0].shape[1]

    def _build_tcn(self) -> nn.Module:
        cfg = Config.fromfile(self.temporal_config)
        state = _load_weights(self.temporal_checkpoint)
        if TCN_INPUT_KEY not in state:
            raise InferenceSetupError(
                f'{self.temporal_checkpoint}: no {TCN_INPUT_KEY}; expected '
                'a TemporalPhaseModel checkpoint (tools/train.py on a '
                'configs/benchmarks/temporal/ config)')
        in_dim = state[TCN_INPUT_KEY].shape[1]
        if in_dim != self.feature_dim:
            raise InferenceSetupError(
                f'{self.temporal_checkpoint}: the temporal model takes '
                f'{in_dim}-d features but the frame model of '
                f'{self.frame_checkpoint} ({self.frame_config}) gives '
                f'{self.feature_dim}-d ones; use the temporal model trained '
                'on features of this frame model')
        num_stages = len({k.split('.')[2] for k in state
                          if k.startswith('tcn.stages.')})
        out_key = f'tcn.stages.{num_stages - 1}.conv_out.weight'
        num_classes = state[out_key].shape[0] if out_key in state else None
        if num_classes != len(self.phases):
            raise InferenceSetupError(
                f'{self.temporal_checkpoint}: the temporal model predicts '
                f'{num_classes} classes but {self.dataset} has '
                f'{len(self.phases)} phases ({", ".join(self.phases)})')
        model_cfg = copy.deepcopy(cfg.model)
        model_cfg.tcn.update(in_channels=in_dim, num_classes=num_classes)
        model = MODELS.build(model_cfg)
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as e:
            raise InferenceSetupError(
                f'{self.temporal_checkpoint} does not fit the model of '
                f'{self.temporal_config} (stages, layers or feature maps '
                f'differ): {str(e).splitlines()[0]} ...') from None
        return model.tcn.to(self.device).eval()

    # -- inference -----------------------------------------------------------

    def open(self, video: str) -> SampledVideo:
        """Open ``video`` for this inferencer's sampling and frame size.

        Raises:
            SurgicalDataError: For a missing, corrupt or truncated video.
        """
        return SampledVideo(video, self.fps, self.size, self.fov_threshold,
                            self.keep_aspect)

    def __call__(self,
                 video: str,
                 online: bool = False,
                 progress: bool = False) -> PhasePrediction:
        """Predict the phases of every sampled frame of ``video``.

        Args:
            video: A video file decord reads (mp4, avi, mkv, ...).
            online: Causal, frame by frame (needs a causal temporal model,
                or none).
            progress: Show a progress bar with an ETA.

        Returns:
            PhasePrediction: Times, probabilities and labels.
        """
        if online and self.tcn is not None and not self.tcn.causal:
            raise InferenceSetupError(
                f'{self.temporal_config}: online inference needs a causal '
                'temporal model (tcn causal=True, e.g. TeCNO); this one is '
                'offline (MS-TCN)')
        start = time.perf_counter()
        clip = self.open(video)
        frames = tqdm(
            clip.frames(),
            total=len(clip),
            unit='frame',
            disable=not progress,
            desc=osp.basename(video))
        probs = (self._online(frames) if online else self._offline(frames))
        probs = probs.cpu().numpy()
        return PhasePrediction(
            video=video,
            dataset=self.dataset,
            fps=self.fps,
            times=clip.times,
            probs=probs,
            labels=probs.argmax(axis=1),
            online=online,
            seconds=time.perf_counter() - start)

    def frame_features(self, frames: Iterator[np.ndarray]
                       ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Features [T, D] and frame-model probabilities [T, C] (None with a
        temporal model) of ``frames``, in batches of ``batch_size``."""
        feats: List[torch.Tensor] = []
        probs: List[torch.Tensor] = []
        batch: List[np.ndarray] = []
        for frame in frames:
            batch.append(frame)
            if len(batch) == self.batch_size:
                self._append(batch, feats, probs)
                batch = []
        if batch:
            self._append(batch, feats, probs)
        return torch.cat(feats), (torch.cat(probs) if probs else None)

    def _append(self, batch: List[np.ndarray], feats: List[torch.Tensor],
                probs: List[torch.Tensor]) -> None:
        f, p = self._frame_forward(batch)
        feats.append(f)
        if p is not None:
            probs.append(p)

    @torch.no_grad()
    def temporal_probs(self, feats: torch.Tensor) -> torch.Tensor:
        """Offline TCN probabilities [T, C] of features [T, D]."""
        logits = self.tcn(feats.T[None].to(self.device))[-1, 0]
        return F.softmax(logits, dim=0).T

    def _offline(self, frames: Iterator[np.ndarray]) -> torch.Tensor:
        feats, probs = self.frame_features(frames)
        return probs if self.tcn is None else self.temporal_probs(feats)

    def _online(self, frames: Iterator[np.ndarray]) -> torch.Tensor:
        stream = self.stream()
        return torch.stack([stream.push(frame) for frame in frames])

    def stream(self) -> 'OnlinePhaseStream':
        """A causal, frame-by-frame session (e.g. for a live video feed)."""
        return OnlinePhaseStream(self)

    def save(self,
             prediction: PhasePrediction,
             out_dir: str,
             overlay: bool = False) -> Dict[str, str]:
        """Write a prediction's files into ``out_dir``, each atomically.

        ``<video>_pred.txt`` (official format, rows ``k<TAB>phase`` for
        sample ``k``, as :mod:`mmdistill.evaluation.label_files` reads),
        ``<video>_probs.csv`` (time in seconds, then one column per phase),
        ``<video>_ribbon.png`` and, with ``overlay``, ``<video>_overlay.mp4``
        (the sampled frames at ``fps`` with the phases drawn on them).

        Returns:
            ``{kind: path}`` of the written files.
        """
        stem = osp.splitext(osp.basename(prediction.video))[0]
        paths = {
            kind: osp.join(out_dir, f'{stem}_{kind}.{ext}')
            for kind, ext in (('pred', 'txt'), ('probs', 'csv'),
                              ('ribbon', 'png'), ('overlay', 'mp4'))
        }
        write_label_file(paths['pred'], prediction.labels, prediction.dataset)
        with atomic_write(paths['probs']) as f:
            f.write(','.join(('time', ) + prediction.phases) + '\n')
            for time_s, row in zip(prediction.times, prediction.probs):
                f.write(f'{time_s:.3f},' + ','.join(f'{p:.6f}' for p in row) +
                        '\n')
        mode = 'online' if prediction.online else 'offline'
        figure = draw_phase_ribbon(
            None, prediction.labels, prediction.phases, prediction.fps,
            f'{stem} ({self._method_name()}, {mode})')
        with atomic_write(paths['ribbon'], binary=True) as f:
            figure.savefig(f, format='png')
        if overlay:
            write_overlay_video(paths['overlay'],
                                self.open(prediction.video).native_frames(),
                                prediction.probs, prediction.phases,
                                prediction.fps)
        else:
            del paths['overlay']
        return paths

    def _method_name(self) -> str:
        frame = osp.splitext(osp.basename(self.frame_config))[0]
        if self.temporal_config is None:
            return frame
        return f'{frame} + {osp.splitext(osp.basename(self.temporal_config))[0]}'


class OnlinePhaseStream:
    """Frame-by-frame phases: :meth:`push` one fitted frame, get its phase
    probabilities, computed from that frame and the earlier ones only.

    Args:
        inferencer: The models; a temporal model must be causal.
    """

    def __init__(self, inferencer: PhaseInferencer) -> None:
        self.inferencer = inferencer
        tcn = inferencer.tcn
        self.tcn_stream = tcn.stream() if tcn is not None else None

    @torch.no_grad()
    def push(self, frame: np.ndarray) -> torch.Tensor:
        """Phase probabilities [C] at ``frame`` (RGB, as
        :meth:`SampledVideo.frames` yields)."""
        return self.push_features(*self.inferencer._frame_forward([frame]))

    @torch.no_grad()
    def push_features(self, feats: torch.Tensor,
                      probs: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Phase probabilities [C] from the next frame's features [1, D]
        (and its frame-model probabilities [1, C] without a TCN)."""
        if self.tcn_stream is None:
            return probs[0]
        logits = self.tcn_stream.step(feats.to(self.inferencer.device))
        return F.softmax(logits[-1, 0], dim=0)
