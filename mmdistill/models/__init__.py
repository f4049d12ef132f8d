from . import algorithms, backbones, losses, temporal  # noqa: F401
