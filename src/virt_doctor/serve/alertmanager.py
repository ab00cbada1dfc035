"""Alertmanager's webhook payload (version 4), read strictly: a bad field is named, never guessed around."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from virt_doctor.errors import VirtDoctorError

# Alertmanager writes this for "not ended yet"
ZERO_TIME = "0001-01-01T00:00:00Z"


class PayloadError(VirtDoctorError):
    """The payload is not Alertmanager's webhook format; the message names the field."""


@dataclass(frozen=True)
class Alert:
    status: str  # firing | resolved
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    fingerprint: str
    generator_url: str = ""

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")


@dataclass(frozen=True)
class Notification:
    version: str
    status: str
    receiver: str
    group_key: str
    alerts: tuple[Alert, ...]
    raw: dict[str, Any]


def parse_notification(body: bytes) -> Notification:
    """The notification, or PayloadError naming what is wrong (`alerts[2].labels.alertname: missing`)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"body: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise PayloadError("body: expected an object")
    version = _text(data, "version", "version")
    if version != "4":
        raise PayloadError(f"version: expected \"4\" (Alertmanager's webhook format), got {version!r}")
    status = _status(data, "status")
    alerts = data.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadError("alerts: expected a list")
    parsed = tuple(_alert(item, f"alerts[{i}]") for i, item in enumerate(alerts))
    return Notification(version, status, _text(data, "receiver", "receiver", ""),
                        _text(data, "groupKey", "groupKey", ""), parsed, data)


def _alert(item: Any, where: str) -> Alert:
    if not isinstance(item, dict):
        raise PayloadError(f"{where}: expected an object")
    labels = _strings(item, "labels", f"{where}.labels")
    if not labels.get("alertname"):
        raise PayloadError(f"{where}.labels.alertname: missing")
    annotations = _strings(item, "annotations", f"{where}.annotations", required=False)
    starts = _time(item.get("startsAt"), f"{where}.startsAt")
    if starts is None:
        raise PayloadError(f"{where}.startsAt: missing")
    ends = _time(item.get("endsAt"), f"{where}.endsAt")
    fingerprint = _text(item, "fingerprint", f"{where}.fingerprint", "") or fingerprint_of(labels)
    return Alert(_status(item, f"{where}.status", "status"), labels, annotations, starts, ends, fingerprint,
                 _text(item, "generatorURL", f"{where}.generatorURL", ""))


def fingerprint_of(labels: dict[str, str]) -> str:
    """A stable key from the label set, for senders that give no fingerprint."""
    return "labels:" + hashlib.sha256(orjson.dumps(labels, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def _text(data: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if value is None:
        raise PayloadError(f"{where}: missing")
    if not isinstance(value, str):
        raise PayloadError(f"{where}: expected a string")
    return value


def _status(data: dict[str, Any], where: str, key: str = "status") -> str:
    value = _text(data, key, where)
    if value not in ("firing", "resolved"):
        raise PayloadError(f"{where}: expected firing or resolved, got {value!r}")
    return value


def _strings(data: dict[str, Any], key: str, where: str, required: bool = True) -> dict[str, str]:
    value = data.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise PayloadError(f"{where}: expected an object of strings")
    return value


def _time(value: Any, where: str) -> datetime | None:
    if value is None or value == "" or value == ZERO_TIME:
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{where}: expected an RFC 3339 time")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"{where}: {value!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise PayloadError(f"{where}: {value!r} has no time zone")
    if moment.year <= 1:
        return None
    return moment
