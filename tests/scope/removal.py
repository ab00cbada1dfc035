"""What the removal property compares: what fires, and what a partial dump created."""

from __future__ import annotations

from virt_doctor.report.model import Report


def firing(report: Report) -> dict[str, str]:
    """Finding id -> cause id, for what fires."""
    return {f.id: f.cause.id for f in report.findings if f.state == "firing"}


def created(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Findings that fire now and did not, or name a cause now that was not named (unknown is always allowed)."""
    return [f"{fid}: {cause}" + (f" (was {before[fid]})" if fid in before else " (new)")
            for fid, cause in after.items()
            if fid not in before or (cause != before[fid] and cause != "unknown")]
