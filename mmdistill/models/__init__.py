from . import algorithms, losses, pretrained, temporal, utils  # noqa: F401
