"""Errors of the phase benchmark; their messages say what to do."""


class BenchmarkError(RuntimeError):
    """The benchmark cannot go on; the message says why and what to do."""


class StageError(BenchmarkError):
    """A stage failed; the message names the stage and its log."""


class SplitLeakError(BenchmarkError):
    """Test videos would be trained on or used for model selection; the
    message names the videos or the config key."""
