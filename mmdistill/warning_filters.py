"""Third-party warnings that do not concern mmdistill users, silenced once at
package import by their exact message (nothing else is filtered).

- mmcv-lite's ``Fail to import MultiScaleDeformableAttention``: mmcv-lite has
  no compiled ops; mmpretrain imports mmcv's transformer bricks, which warn
  on every import (once per process: 14 times in the old demo's
  subprocesses). No mmdistill model uses deformable attention.
- torch's ``torch.jit.script`` / ``torch.jit.interface`` deprecation
  warnings, raised by torchvision and timm modules at import, not by code a
  user writes.
"""
import re
import warnings

#: (message at its start, category, module that warns).
KNOWN_WARNINGS = (
    ('Fail to import ``MultiScaleDeformableAttention`` from '
     '``mmcv.ops.multi_scale_deform_attn``, You should install ``mmcv`` '
     'rather than ``mmcv-lite`` if you need this module.', UserWarning),
    ('`torch.jit.script` is deprecated. Please switch to `torch.compile` or '
     '`torch.export`.', DeprecationWarning),
    ('`torch.jit.interface` is deprecated. Please use `torch.compile` '
     'instead.', DeprecationWarning),
)


def filter_known_warnings() -> None:
    """Ignore exactly the :data:`KNOWN_WARNINGS` messages."""
    for message, category in KNOWN_WARNINGS:
        warnings.filterwarnings(
            'ignore', message=re.escape(message), category=category)
