"""Surgical-video data: preparation, annotations, splits and datasets."""
from . import feature_sequences, transforms  # noqa: F401
from .errors import SurgicalDataError
from .fov import cut_fov, fov_box
from .frames import LowDataSubset, SurgicalFrames, SurgicalPhaseFrames
from .layout import load_meta
from .prepared_annotations import (FrameAnnotation, read_frame_annotation,
                                   write_frame_annotation)
from .preparation import (PreparationSummary, PrepareOptions, prepare_dataset,
                          prepare_video)
from .raw_annotations import (CHOLEC80_TOOLS, ToolAnnotation, read_phase_file,
                              read_tool_file)
from .sources import VideoSource, find_sources
from .splits import low_data_subset, resolve_split, split_names
from .synthetic import generate_synthetic_dataset
from .verification import find_bad_frames

__all__ = [
    'CHOLEC80_TOOLS', 'FrameAnnotation', 'LowDataSubset', 'PreparationSummary',
    'PrepareOptions', 'SurgicalDataError', 'SurgicalFrames',
    'SurgicalPhaseFrames', 'ToolAnnotation', 'VideoSource', 'cut_fov',
    'find_bad_frames', 'find_sources', 'fov_box', 'generate_synthetic_dataset',
    'load_meta', 'low_data_subset', 'prepare_dataset', 'prepare_video',
    'read_frame_annotation', 'read_phase_file', 'read_tool_file',
    'resolve_split', 'split_names', 'write_frame_annotation'
]
