from . import algorithms, losses, temporal, utils  # noqa: F401
