"""Operator custom resources (CDI, HostPathProvisioner, NetworkAddonsConfig, SSP): ready or not, by conditions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from virt_doctor.snapshot import access as a

Obj = dict[str, Any]


def cr_not_ready(cr: Obj) -> tuple[list[Obj], datetime | None] | None:
    """An operator CR that is neither Available nor Progressing: its conditions, and since when."""
    available, progressing, degraded = (a.condition(cr, k) for k in ("Available", "Progressing", "Degraded"))
    if available is None and progressing is None:
        return None
    if (available is not None and available.get("status") == "True") or \
            (progressing is not None and progressing.get("status") == "True"):
        return None
    shown = [c for c in (available, progressing, degraded) if c is not None]
    times = [t for t in (a.transitioned(c) for c in (available, progressing) if c is not None) if t]
    return shown, max(times) if times else None
