"""Data-loader transforms of the GPU-augmentation pipelines."""
from .loading import LoadFrame

__all__ = ['LoadFrame']
