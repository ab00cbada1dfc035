"""The cluster state as plain dicts, indexed once, with the evaluation time fixed and what was seen recorded."""

from virt_doctor.snapshot.seen import Scope, Seen
from virt_doctor.snapshot.snapshot import Missing, Snapshot, SourceInfo

__all__ = ["Missing", "Scope", "Seen", "Snapshot", "SourceInfo"]
