"""The errors raised for bad surgical-video input and dataset arguments."""
from typing import Any, Dict


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


def reject_renamed(cls: str, kwargs: Dict[str, Any],
                   renamed: Dict[str, str]) -> None:
    """Refuse keyword arguments that were renamed.

    Raises:
        TypeError: Naming the old and the new keyword.
    """
    for old, new in renamed.items():
        if old in kwargs:
            raise TypeError(
                f'{cls} got the keyword {old}={kwargs[old]!r}; it is now '
                f'called {new}= (set {new}={kwargs[old]!r} in the dataset '
                'config)')
