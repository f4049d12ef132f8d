"""Programmatic entry points: runners, the phase benchmark, inference."""
from .errors import BenchmarkError, SplitLeakError, StageError
from .feature_extraction import ExtractedFeatures, extract_features
from .inferencer import (InferenceSetupError, OnlinePhaseStream,
                         PhaseInferencer, PhasePrediction)
from .phase_benchmark import Settings, dry_run, run_benchmark
from .runner import build_runner, load_config, phase_metrics
from .runs import Run, parse_checkpoints, plan_runs
from .split_guard import check_split_leaks, config_videos

__all__ = [
    'BenchmarkError', 'ExtractedFeatures', 'InferenceSetupError',
    'OnlinePhaseStream', 'PhaseInferencer', 'PhasePrediction', 'Run',
    'Settings', 'SplitLeakError', 'StageError', 'build_runner',
    'check_split_leaks', 'config_videos', 'dry_run', 'extract_features',
    'load_config', 'parse_checkpoints', 'phase_metrics', 'plan_runs',
    'run_benchmark'
]
