"""Where code lives holds: errors.py draws the real exception tree (every exception virt-doctor defines is in it,
under VirtDoctorError, or is one of the module-internal verdicts it names), and no module imports itself back
through others (imports inside functions included)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import grimp

import virt_doctor
from virt_doctor import errors
from virt_doctor.errors import VirtDoctorError

INTERNAL = {"CannotEvaluate", "TooLarge", "Truncated", "NotPrometheusAPI", "YAMLParseError", "NotAList"}


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


def import_cycles(adjacent: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan): each is an import loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in adjacent[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                other = stack.pop()
                group.append(other)
                if other == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(adjacent):
        if module not in index:
            visit(module)
    return cycles


def test_the_finder_finds_a_loop() -> None:
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_itself_back() -> None:
    graph = grimp.build_graph("virt_doctor", exclude_type_checking_imports=True)
    modules = set(graph.modules)
    adjacent = {m: set(graph.find_modules_directly_imported_by(m)) & modules for m in modules}
    assert sum(len(v) for v in adjacent.values()) > 500  # the graph was read
    assert import_cycles(adjacent) == []
