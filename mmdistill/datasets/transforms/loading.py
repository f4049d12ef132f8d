"""Frame decoding with an error that names the file and the fix."""
from typing import Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio

from mmdistill.registry import TRANSFORMS
from ..errors import SurgicalDataError


@TRANSFORMS.register_module()
class LoadFrame(BaseTransform):
    """Decode a prepared frame with OpenCV, as mmcv's ``LoadImageFromFile``
    does by default (BGR ``uint8``, EXIF orientation ignored).

    Where ``LoadImageFromFile`` stops with ``AssertionError: failed to load
    image``, a file that does not decode raises :class:`SurgicalDataError`
    naming it and the tool that finds every such frame.

    Required keys: ``img_path``. Added keys: ``img``, ``img_shape``,
    ``ori_shape``.

    Args:
        backend_args (dict, optional): mmengine file backend arguments.
    """

    def __init__(self, backend_args: Optional[dict] = None) -> None:
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        data = fileio.get(path, backend_args=self.backend_args)
        img = cv2.imdecode(
            np.frombuffer(data, np.uint8),
            cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
        if img is None:
            raise SurgicalDataError(
                path,
                f'not a decodable image ({len(data)} bytes; truncated or '
                f'corrupt). List every bad frame of the data root with '
                f'`python tools/data/verify_phase_dataset.py DATA_ROOT`, '
                f'then delete the video\'s frame folder and rerun '
                f'tools/data/prepare_phase_dataset.py with the same settings.')
        results['img'] = img
        results['img_shape'] = results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(backend_args={self.backend_args})'
