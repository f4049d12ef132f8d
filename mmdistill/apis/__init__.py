"""Programmatic entry points: runners, the phase benchmark, inference."""
from .inferencer import (InferenceSetupError, OnlinePhaseStream,
                         PhaseInferencer, PhasePrediction)
