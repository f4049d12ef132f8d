from .ssl_view_aug import SSLViewAugPreprocessor
from .view_augmentation import ViewAugmentation

__all__ = ['SSLViewAugPreprocessor', 'ViewAugmentation']
