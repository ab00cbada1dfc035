"""The CLI edge: every deliberate error becomes one line on stderr and exit status 2."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from virt_doctor.cli.options import stderr_console
from virt_doctor.errors import InputError

F = TypeVar("F", bound=Callable[..., Any])
EXIT_INPUT = 2


def fail(message: str) -> typer.Exit:
    """Print `virt-doctor: error: message` and return the Exit to raise."""
    stderr_console().print(f"virt-doctor: error: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_INPUT)


def handles_input_errors(fn: F) -> F:
    """Turn InputError (and unreadable files) into a one-line error and exit 2, never a traceback."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            raise fail(str(exc)) from None
        except (FileExistsError, PermissionError, IsADirectoryError, NotADirectoryError) as exc:
            raise fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")) from None
    return wrapper  # type: ignore[return-value]
