"""`virt-doctor-seen.yaml`: what a live read listed where, kept beside the objects it collected."""

from __future__ import annotations

import yaml

from virt_doctor.snapshot.seen import LISTED, Scope

SEEN_FILE = "virt-doctor-seen.yaml"


def read_seen_file(data: bytes, location: str) -> tuple[dict[Scope, str], dict[Scope, str]]:
    """The scopes a collected dump records (its `virt-doctor-seen.yaml`), and the reasons of the refused ones."""
    doc = yaml.safe_load(data) or {}
    scopes: dict[Scope, str] = {}
    reasons: dict[Scope, str] = {}
    for entry in doc.get("scopes") or []:
        if not isinstance(entry, dict) or not entry.get("kind"):
            raise ValueError(f"{location}: {SEEN_FILE}: an entry without kind")
        scope = Scope(str(entry["kind"]), str(entry.get("namespace") or ""))
        scopes[scope] = str(entry.get("state") or LISTED)
        if entry.get("reason"):
            reasons[scope] = str(entry["reason"])
    return scopes, reasons
