"""The remediation audit trail: every preview and every applied (or refused) action, as JSON lines and in the
store — who, what, when, the request, the answer, the outcome. Requests carry no credentials (headers are never
recorded) and actions never touch Secrets."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine

from virt_doctor.store.database import sessions
from virt_doctor.store.schema import AuditEntry
from virt_doctor.timeutil import rfc3339

DEFAULT_LOG = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "virt-doctor" / "audit.jsonl"


@dataclass
class Auditor:
    """Where records go: a JSON-lines file (appended, one line each) and, when given, the store."""

    who: str
    log: Path | None = DEFAULT_LOG
    engine: Engine | None = None

    def record(self, mode: str, finding_id: str, alert: str, step: str, target: str, request: dict[str, Any],
               status: int, outcome: str) -> dict[str, Any]:
        """Write one record to each destination; the record as written."""
        now = datetime.now(UTC)
        entry = {"at": rfc3339(now), "who": self.who, "mode": mode, "finding": finding_id, "alert": alert,
                 "step": step, "target": target, "request": request, "status": status, "outcome": outcome}
        if self.log is not None:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            with self.log.open("ab") as out:
                out.write(orjson.dumps(entry) + b"\n")
        if self.engine is not None:
            with sessions(self.engine, writes=True).begin() as session:
                session.add(AuditEntry(at=now, who=self.who, mode=mode, finding_id=finding_id, alert=alert, step=step,
                                       target=target, request=request, status=status, outcome=outcome))
        return entry
