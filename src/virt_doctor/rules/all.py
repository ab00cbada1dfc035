"""Import every rule module so that each registers itself (importing only registers)."""

from __future__ import annotations

import importlib
import pkgutil

import virt_doctor.rules as _rules

FAMILIES = ("virt", "cdi", "network", "nodes", "storage", "hco", "ssp")


def _import_all() -> None:
    importlib.import_module(f"{_rules.__name__}.component_pods")  # the table of component-pod alerts
    for family in FAMILIES:
        try:
            package = importlib.import_module(f"{_rules.__name__}.{family}")
        except ModuleNotFoundError:
            continue
        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{info.name}")


_import_all()
