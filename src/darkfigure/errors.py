"""Exceptions of darkfigure, in a module of their own so that the command line can catch them without
importing pandas and NumPy (``darkfigure --help`` and ``--version`` stay fast)."""

__all__ = ["DataError"]


class DataError(ValueError):
    """Input data that cannot be used as it is.

    The message names the offending column, row or list and says what to do.
    """
