"""Fixtures for the service: the store on SQLite and on PostgreSQL, and a service over the example dump."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serve import postgres

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "broken-cluster"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[postgres.Postgres]:
    reason = postgres.unavailable_reason()
    if reason:
        pytest.skip(reason)
    server = postgres.start()
    yield server
    server.stop()


_databases = iter(range(10**6))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store: an SQLite file, or a new database on the session's PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "incidents.db")
    server: postgres.Postgres = request.getfixturevalue("pg_server")
    import psycopg

    name = f"t{next(_databases)}"
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server.url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def example_view():  # type: ignore[no-untyped-def]
    """The example dump, evaluated once: the view the service diagnoses against."""
    from virt_doctor.scan import ScanRequest, run_scan
    from virt_doctor.serve.view import ClusterView

    view = ClusterView(lambda: run_scan(ScanRequest(source=EXAMPLE)))
    assert view.refresh() is not None
    return view
