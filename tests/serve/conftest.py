"""Fixtures for the service: the store on SQLite and on PostgreSQL, a service over the example dump, a chat."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serve import postgres
from tests.serve.alerts import Chat

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "broken-cluster"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.real)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store: an SQLite file, or a new database on the session's PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "incidents.db")
    return postgres.new_database(request.getfixturevalue("pg_server"))


@pytest.fixture(scope="session")
def example_view():  # type: ignore[no-untyped-def]
    """The example dump, evaluated once: the view the service diagnoses against."""
    from virt_doctor.scan import ScanRequest, run_scan
    from virt_doctor.serve.view import ClusterView

    view = ClusterView(lambda: run_scan(ScanRequest(source=EXAMPLE)))
    assert view.refresh() is not None
    return view


@pytest.fixture
def chat() -> Iterator[str]:
    """A chat incoming-webhook on 127.0.0.1 that keeps what it is posted (Chat.received)."""
    Chat.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Chat)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
