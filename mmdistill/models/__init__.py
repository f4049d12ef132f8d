from . import (algorithms, data_preprocessors, losses, pretrained,  # noqa: F401
               temporal, utils)
