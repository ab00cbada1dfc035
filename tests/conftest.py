"""Shared fixtures: build simulated dumps on disk and scan them the way the CLI does."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.serve import postgres
from virt_doctor.report.model import Finding, Report
from virt_doctor.rules.engine import evaluate
from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.simulate import simulate
from virt_doctor.simulator.writer import write_dump
from virt_doctor.sources.load import load_dump

SimulateFn = Callable[..., tuple[Path, Cluster]]
# fixtures that start a real server: a test that uses one is in the `real` tier (tests/tiers.py)
REAL_FIXTURES = frozenset({"pg_server", "kube", "kubelet", "cluster_in", "browser", "plane"})
LIVE = Path(__file__).parent / "live"
CONTROL = Path(__file__).parent / "control"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `real` every test that starts a server through a fixture, and every live-cluster test."""
    for item in items:
        if REAL_FIXTURES & set(getattr(item, "fixturenames", ())) or {LIVE, CONTROL} & set(item.path.parents):
            item.add_marker(pytest.mark.real)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[postgres.Postgres]:
    """Debian's PostgreSQL on 127.0.0.1 for the session (the store tests, several replicas of the service)."""
    reason = postgres.unavailable_reason()
    if reason:
        pytest.skip(reason)
    server = postgres.start()
    yield server
    server.stop()


@pytest.fixture
def simulated(tmp_path: Path) -> SimulateFn:
    """Write a simulated dump under tmp_path; returns (dump path, cluster with its injected faults)."""
    counter = iter(range(1000))

    def make(faults: Iterable[str] = (), nodes: int = 3, vms: int = 12, seed: int = 7, fmt: str = "yaml",
             age: timedelta = timedelta(minutes=30), vms_details: bool = True, install_ns: str = "openshift-cnv",
             archive: bool = False, also_collect: Iterable[str] = ()) -> tuple[Path, Cluster]:
        cluster = simulate(nodes=nodes, vms=vms, faults=list(faults), seed=seed, fault_age=age,
                           vms_details=vms_details, install_ns=install_ns)
        out = tmp_path / (f"dump-{next(counter)}" + (".tar.gz" if archive else ""))
        return write_dump(cluster, out, fmt, archive=archive, also_collect=frozenset(also_collect)), cluster

    return make


def scan(path: Path, at: datetime | None = None) -> Report:
    """Load a dump and evaluate every rule, as `virt-doctor scan` does."""
    return evaluate(load_dump(path, at=at))


def findings_for(report: Report, alert: str) -> list[Finding]:
    return [f for f in report.findings if f.alert == alert]


@pytest.fixture(autouse=True)
def _no_inherited_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Output width is what a test sets: pytest-xdist's workers inherit COLUMNS=80, which the CLI honours."""
    monkeypatch.delenv("COLUMNS", raising=False)
