"""The quick tier holds itself to starting no server: a server helper fails the test there, naming the marker."""

from __future__ import annotations

import pytest

from tests.tiers import TIER, starting


def test_a_server_started_in_the_quick_tier_fails_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TIER, "quick")
    with pytest.raises(pytest.fail.Exception, match=r"this test starts Prometheus: mark it @pytest.mark.real"):
        starting("Prometheus")


def test_the_full_suite_starts_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TIER, raising=False)
    starting("Prometheus")  # no failure: the full suite runs every real-server test



def test_test_modules_do_not_import_each_other() -> None:
    """Shared helpers and data live in helper modules (tests/serve/alerts.py, tests/live/rbac.py, ...), never in
    another test module: a test module is run, not imported."""
    import re
    from pathlib import Path

    root = Path(__file__).parent
    imports = re.compile(r"^\s*from tests(?:\.\w+)*\.test_\w+ import", re.M)
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py") if imports.search(p.read_text())]
    assert offenders == []
