"""The per-cause case dumps (tests/cases/<Alert>/<cause>.yaml), built the same way for every test that needs them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.simulate import simulate
from virt_doctor.simulator.writer import write_dump
from virt_doctor.timeutil import parse_duration

CASES = sorted(Path(__file__).parent.glob("cases/*/*.yaml"))
CASE_IDS = [f"{p.parent.name}/{p.stem}" for p in CASES]


def read_case(case_file: Path) -> dict[str, Any]:
    return yaml.safe_load(case_file.read_text())


def build_case(case: dict[str, Any], make: Callable[..., tuple[Path, Cluster]]) -> tuple[Path, Cluster]:
    """The case's fault simulated, with the case's options, through `make` (the `simulated` fixture's shape)."""
    return make([case["fault"]], vms_details=case.get("vms_details", True),
                age=parse_duration(str(case.get("age", "30m"))), nodes=case.get("nodes", 3),
                install_ns=case.get("install_namespace", "openshift-cnv"), also_collect=case.get("also_collect", ()))


def write_case(case_file: Path, out: Path, fmt: str = "yaml") -> Path:
    """A case's dump written under `out` (without the fixture), e.g. for session-wide tests."""
    def make(faults: list[str], vms_details: bool, age: Any, nodes: int, install_ns: str,
             also_collect: Any) -> tuple[Path, Cluster]:
        cluster = simulate(nodes=nodes, vms=12, faults=faults, seed=7, fault_age=age, vms_details=vms_details,
                           install_ns=install_ns)
        return write_dump(cluster, out, fmt, also_collect=frozenset(also_collect)), cluster

    return build_case(read_case(case_file), make)[0]
