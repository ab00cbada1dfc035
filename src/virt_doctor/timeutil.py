"""Parsing and formatting of the times found in Kubernetes objects and must-gather files."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from virt_doctor.errors import TimeFormatError

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Go's time.Now().String(): "2026-11-20 09:14:03.118 +0000 UTC m=+0.06"
_GO_TIME = re.compile(r"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d+)? ([+-]\d{4})")


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 string (or a YAML-parsed datetime) as an aware UTC datetime; None if absent or not a time."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_user_time(value: str) -> datetime:
    """An --at value: RFC 3339, or 'now-2h'-style is not accepted; raise a one-line error otherwise."""
    parsed = parse_time(value)
    if parsed is None:
        raise TimeFormatError(f"--at {value!r} is not an RFC 3339 time (e.g. 2026-11-20T09:14:03Z)")
    return parsed


def parse_go_time(line: str) -> datetime | None:
    """A line of a must-gather `timestamp` file (Go's time.Time.String()) as a datetime."""
    match = _GO_TIME.match(line.strip())
    if not match:
        return parse_time(line.strip())
    date, clock, frac, offset = match.groups()
    frac = (frac or "")[:7]
    text = f"{date}T{clock}{frac}{offset[:3]}:{offset[3:]}"
    return parse_time(text)


def parse_duration(text: str) -> timedelta:
    """A Prometheus-style duration ('5m', '1h30m', '0') as a timedelta."""
    text = str(text).strip()
    if text in ("", "0"):
        return timedelta(0)
    pos, seconds = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        seconds += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text):
        raise ValueError(f"not a duration: {text!r}")
    return timedelta(seconds=seconds)


def rfc3339(moment: datetime | None) -> str | None:
    """The report's time format: UTC, second precision, 'Z' suffix."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def human_age(delta: timedelta) -> str:
    """A kubectl-style age: 45s, 12m, 3h, 5d."""
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return "0s"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * (2 if unit != "m" else 1):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
