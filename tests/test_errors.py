"""errors.py draws the real exception tree: every exception virt-doctor defines is in it, under VirtDoctorError,
or is one of the module-internal verdicts it names."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import virt_doctor
from virt_doctor import errors
from virt_doctor.errors import VirtDoctorError

INTERNAL = {"CannotEvaluate", "TooLarge", "Truncated", "NotPrometheusAPI", "YAMLParseError"}


def defined_exceptions() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(virt_doctor.__path__, "virt_doctor."):
        if ".store.migrations" in info.name:
            continue  # Alembic's scripts run inside Alembic
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == info.name:
                found[name] = value
    return found


def test_every_exception_is_in_the_tree() -> None:
    found = defined_exceptions()
    assert len(found) >= 20  # the walk saw the package
    outside = sorted(name for name, cls in found.items() if not issubclass(cls, VirtDoctorError) and name not in INTERNAL)
    assert outside == []
    drawn = errors.__doc__ or ""
    assert sorted(name for name in found if name not in drawn) == []
    assert set(found) >= INTERNAL  # the internal verdicts named there exist
