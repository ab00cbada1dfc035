"""Everything a rule author needs, from one place (as operator authors import `kopf.on`)."""

from virt_doctor.report.model import Evidence, Subject
from virt_doctor.rules.detection import CannotEvaluate, Detection
from virt_doctor.rules.registry import rule
from virt_doctor.snapshot import Snapshot, discover
from virt_doctor.snapshot import access as a

__all__ = ["CannotEvaluate", "Detection", "Evidence", "Snapshot", "Subject", "a", "discover", "rule"]
