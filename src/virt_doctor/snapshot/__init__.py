"""The cluster state as plain dicts, indexed once, with the evaluation time fixed."""

from virt_doctor.snapshot.snapshot import Snapshot, SourceInfo

__all__ = ["Snapshot", "SourceInfo"]
