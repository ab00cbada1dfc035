"""The optional outgoing message: a Slack-compatible incoming-webhook post per problem (when it opens, when an alert
joins it, when it clears) — a storm is one message — and per newly diagnosed incident outside any problem."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

import httpx

from virt_doctor.store.problems import ProblemMessage
from virt_doctor.store.schema import Incident

log = logging.getLogger("virt_doctor.serve")


def message(incident: Incident, external_url: str) -> dict[str, Any]:
    """alert, cause, top evidence, first command, link: what the person paged needs first."""
    finding = incident.diagnoses[-1].finding if incident.diagnoses and incident.diagnoses[-1].finding else {}
    evidence = (finding.get("evidence") or [{}])[0] if finding else {}
    first = ((finding.get("diagnosis") or []) + (finding.get("remediation") or [{}]))[0] if finding else {}
    lines = [f"*{incident.alertname}* ({incident.severity or 'no severity'}) {incident.subject}".rstrip(),
             f"Cause: {incident.cause_title or incident.note or 'not diagnosed'}"]
    if evidence:
        lines.append(f"Evidence: {evidence.get('object', '')} {evidence.get('note') or evidence.get('value') or ''}"
                     .rstrip())
    if first.get("command"):
        lines.append(f"First: `{first['command']}`")
    if external_url:
        lines.append(f"{external_url.rstrip('/')}/incidents/{incident.id}")
    return {"text": "\n".join(lines)}


VERB = {"opened": "Problem", "joined": "Problem update", "cleared": "Problem cleared"}


def alert_counts(alerts: dict[str, str], only: tuple[str, ...] = ()) -> str:
    """'OrphanedVirtualMachineInstances ×6, NoReadyVirtHandler' for the finding ids given (all when none)."""
    counts: dict[str, int] = {}
    for fid, alert in alerts.items():
        if not only or fid in only:
            counts[alert or "?"] = counts.get(alert or "?", 0) + 1
    return ", ".join(f"{a} ×{n}" if n > 1 else a for a, n in counts.items())


def problem_message(sent: ProblemMessage, external_url: str) -> dict[str, Any]:
    """What broke, where, and everything it set off — one message for a storm."""
    lines = [f"*{VERB[sent.kind]}* ({sent.severity}): {sent.title}"]
    if sent.kind == "opened":
        lines.append(f"{len(sent.alerts)} alert{'s' if len(sent.alerts) != 1 else ''}: {alert_counts(sent.alerts)}")
    elif sent.kind == "joined":
        lines.append(f"joined by {alert_counts(sent.alerts, sent.new)}; now {len(sent.alerts)} alerts")
    lines.append(f"Root: {sent.root} · cause {sent.cause}")
    if external_url:
        lines.append(f"{external_url.rstrip('/')}/problems/{sent.key}")
    return {"text": "\n".join(lines)}


class Notifier:
    """Posts messages in the background: a slow chat service never delays Alertmanager's answer."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout
        self.sent = 0
        self.failed = 0

    def send(self, incidents: Sequence[Incident], external_url: str,
             problems: Sequence[ProblemMessage] = ()) -> None:
        """The problems' messages, then one for each newly diagnosed incident that belongs to no problem."""
        messages = [problem_message(p, external_url) for p in problems]
        messages += [message(i, external_url) for i in incidents if i.diagnoses and not i.problem_key and
                     i.diagnoses[-1].verdict == "holds" and i.notifications == 1]
        if messages:
            threading.Thread(target=self._post, args=(messages,), daemon=True).start()

    def _post(self, messages: list[dict[str, Any]]) -> None:
        for body in messages:
            try:
                httpx.post(self.url, json=body, timeout=self.timeout).raise_for_status()
                self.sent += 1
            except httpx.HTTPError as exc:
                self.failed += 1
                log.warning("notification to the chat webhook failed: %s", type(exc).__name__)
