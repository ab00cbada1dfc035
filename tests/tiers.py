"""The test tiers: `bash scripts/test.sh --quick` runs every test that starts no real server (marker `real` off),
and holds it to that: a helper that starts kube-apiserver, Prometheus, Alertmanager, PostgreSQL or Chromium fails
the test in the quick tier, naming the marker it lacks."""

from __future__ import annotations

import os

import pytest

TIER = "VIRT_DOCTOR_TEST_TIER"  # "quick" in the quick tier; unset in the full suite


def starting(server: str) -> None:
    """Called by each helper that starts a real server, before it starts it."""
    if os.environ.get(TIER) == "quick":
        pytest.fail(f"this test starts {server}: mark it @pytest.mark.real (the quick tier starts no server)",
                    pytrace=False)
