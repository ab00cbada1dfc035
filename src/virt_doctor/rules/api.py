"""Everything a rule author needs, from one place (as operator authors import `kopf.on`)."""

from virt_doctor.report.model import Evidence, Subject
from virt_doctor.rules.detection import CannotEvaluate, Detection, NotSeen
from virt_doctor.rules.registry import ALL, CLUSTER, SUBJECT, Read, rule
from virt_doctor.snapshot import Missing, Snapshot, discover
from virt_doctor.snapshot import access as a

__all__ = ["ALL", "CLUSTER", "SUBJECT", "CannotEvaluate", "Detection", "Evidence", "Missing", "NotSeen", "Read",
           "Snapshot", "Subject", "a", "discover", "rule"]
