"""The error raised for bad surgical-video input."""


class SurgicalDataError(ValueError):
    """A raw or prepared data file is missing, unreadable or inconsistent.

    The message always starts with the offending path, then says what is
    wrong and, where there is one, how to fix it.

    Args:
        path (str): The file or folder at fault.
        problem (str): What is wrong with it (and the fix).
    """

    def __init__(self, path: str, problem: str) -> None:
        # Both values go to ``args`` so the error survives pickling between
        # the preparation's worker processes.
        super().__init__(path, problem)
        self.path = path
        self.problem = problem

    def __str__(self) -> str:
        return f'{self.path}: {self.problem}'
