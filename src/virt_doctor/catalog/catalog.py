"""Load and validate the runbook catalog (data/<AlertName>.yaml), frozen after load."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from virt_doctor.catalog.releases import said, yaml_loader
from virt_doctor.errors import CatalogError, UnknownAlertError

SEVERITIES = ("critical", "warning", "info")
RISKS = ("read-only", "safe", "disruptive", "destructive")
KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PLACEHOLDER = re.compile(r"<([a-z][a-z0-9-]*)>")
# what a mitigation step's `action` may be (report/actions.py makes each an API operation)
ACTION_TYPES = ("cordon", "uncordon", "remove-taint", "annotate", "patch", "delete", "force-delete", "restart-vm",
                "restart-rollout", "scale", "migrate", "run-strategy", "remove-finalizers")
# what an entry's `versions` may say, in this order (facts from the operators' release tags and branches);
# introduced/removed name the first release of each release line that made the change ("v1.9.0, v1.8.4": in
# v1.9.0, and backported to v1.8.4); a line not named follows the earliest one named
VERSION_KEYS = ("shipped_by", "introduced", "deprecated", "removed", "replaced_by")
REQUIRED = ("name", "severity", "for", "component", "summary", "meaning", "impact", "causes",
            "diagnosis", "mitigation", "escalation", "related")


@dataclass(frozen=True)
class CauseEntry:
    """A cause the runbook lists: stable id, title, how to recognise it, which mitigations fix it."""

    id: str
    title: str
    recognise: str
    fixes: tuple[str, ...]


@dataclass(frozen=True)
class StepEntry:
    """A diagnosis or mitigation step: a title and the kubectl/oc command with <placeholders>."""

    id: str
    title: str
    command: str
    risk: str
    action: dict[str, Any] | None = None  # the API operation it is, as a template (report/actions.py)


@dataclass(frozen=True)
class CatalogEntry:
    """One alert's runbook, in the project's own words."""

    name: str
    severity: str
    for_: str
    component: str
    health_impact: str
    source: str  # objects | metrics | both
    summary: str
    meaning: str
    impact: str
    causes: tuple[CauseEntry, ...]
    diagnosis: tuple[StepEntry, ...]
    mitigation: tuple[StepEntry, ...]
    escalation: str
    related: tuple[str, ...]
    versions: tuple[tuple[str, str], ...] = ()  # which releases ship it: shipped_by, introduced, removed, ...
    levels: tuple[tuple[str, str], ...] = ()  # the same alert defined at other severities: (severity, for)

    def for_of(self, severity: str | None) -> str:
        """The `for` of the alert's definition at this severity (the entry's own when it has no other)."""
        return dict(self.levels).get(severity or self.severity, self.for_)

    def version_note(self) -> str:
        """'kubevirt: introduced v1.9.0' / 'kubevirt: removed v1.6.0' / '' when the catalog does not say."""
        data = dict(self.versions)
        parts = [f"{key.replace('_', ' ')} {said(data[key])}" for key in VERSION_KEYS[1:] if data.get(key)]
        return f"{data['shipped_by']}: {'; '.join(parts)}" if data.get("shipped_by") and parts else "; ".join(parts)

    def cause(self, cause_id: str) -> CauseEntry:
        """The cause with this id (a rule emitting an unknown id is a bug)."""
        for cause in self.causes:
            if cause.id == cause_id:
                return cause
        raise KeyError(f"{self.name}: no cause {cause_id!r} in the catalog")

    def mitigation_step(self, step_id: str) -> StepEntry:
        """The mitigation step with this id."""
        for step in self.mitigation:
            if step.id == step_id:
                return step
        raise KeyError(f"{self.name}: no mitigation {step_id!r} in the catalog")

    def to_dict(self) -> dict[str, Any]:
        """The `explain -o json` contract."""
        return {
            "name": self.name,
            "severity": self.severity,
            "for": self.for_,
            "component": self.component,
            "health_impact": self.health_impact,
            "source": self.source,
            "summary": self.summary,
            "meaning": self.meaning,
            "impact": self.impact,
            "causes": [{"id": c.id, "title": c.title, "recognise": c.recognise, "fixes": list(c.fixes)}
                       for c in self.causes],
            "diagnosis": [{"title": s.title, "command": s.command} for s in self.diagnosis],
            "mitigation": [{"id": s.id, "title": s.title, "command": s.command, "risk": s.risk, "action": s.action}
                           for s in self.mitigation],
            "escalation": self.escalation,
            "related": list(self.related),
            "versions": dict(self.versions),
            "levels": dict(self.levels),  # the other severities it is defined at, each with its `for`
            "runbook_url": f"https://kubevirt.io/monitoring/runbooks/{self.name}",
        }


def fill(template: str, params: dict[str, str]) -> str:
    """Replace <placeholders> whose value is known; leave the others for the reader to fill."""
    return PLACEHOLDER.sub(lambda m: params.get(m.group(1), m.group(0)), template)


class Catalog:
    """Every alert's runbook, by name."""

    def __init__(self, entries: dict[str, CatalogEntry]) -> None:
        self._entries = dict(sorted(entries.items()))

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        return list(self._entries)

    def get(self, name: str) -> CatalogEntry:
        """The entry for an alert; UnknownAlertError with close names when there is none."""
        if name in self._entries:
            return self._entries[name]
        by_lower = {n.lower(): n for n in self._entries}
        if name.lower() in by_lower:
            return self._entries[by_lower[name.lower()]]
        import difflib  # only for a name that is not there

        close = difflib.get_close_matches(name, self._entries, n=3, cutoff=0.5)
        if not close:
            close = [n for n in self._entries if name.lower() in n.lower()][:3]
        raise UnknownAlertError(name, close)


@cache
def load_catalog() -> Catalog:
    """Read and validate every data file once."""
    entries: dict[str, CatalogEntry] = {}
    loads = yaml_loader()
    for item in sorted((HERE / "data").glob("*.yaml"), key=lambda p: p.name):
        stem = item.name[: -len(".yaml")]
        entries[stem] = parse_entry(stem, loads(item.read_text(encoding="utf-8")))
    return Catalog(entries)


HERE = Path(__file__).resolve().parent


def parse_entry(stem: str, raw: Any) -> CatalogEntry:
    """Validate one data file against the schema and freeze it."""
    def fail(message: str) -> CatalogError:
        return CatalogError(f"catalog/data/{stem}.yaml: {message}")

    if not isinstance(raw, dict):
        raise fail("not a mapping")
    missing = [key for key in REQUIRED if raw.get(key) in (None, "", [])]
    if missing:
        raise fail(f"missing {', '.join(missing)}")
    if raw["name"] != stem:
        raise fail(f"name {raw['name']!r} differs from the file name")
    if raw["severity"] not in SEVERITIES:
        raise fail(f"severity {raw['severity']!r} not one of {SEVERITIES}")
    mitigation = tuple(_step(fail, s, i, "mitigation") for i, s in enumerate(raw["mitigation"]))
    mitigation_ids = [s.id for s in mitigation]
    if len(set(mitigation_ids)) != len(mitigation_ids):
        raise fail("duplicate mitigation ids")
    causes = []
    for cause in raw["causes"]:
        cid = str(cause.get("id", ""))
        if not KEBAB.match(cid):
            raise fail(f"cause id {cid!r} is not kebab-case")
        if not cause.get("title") or not cause.get("recognise"):
            raise fail(f"cause {cid}: needs title and recognise")
        fixes = tuple(cause.get("fixes") or ())
        for fix in fixes:
            if fix not in mitigation_ids:
                raise fail(f"cause {cid}: fix {fix!r} is not a mitigation id")
        causes.append(CauseEntry(cid, str(cause["title"]).strip(), str(cause["recognise"]).strip(), fixes))
    cause_ids = [c.id for c in causes]
    if len(set(cause_ids)) != len(cause_ids):
        raise fail("duplicate cause ids")
    if "unknown" not in cause_ids:
        raise fail("every entry needs an 'unknown' cause for when the evidence names none")
    versions = raw.get("versions") or {}
    if not isinstance(versions, dict) or set(versions) - set(VERSION_KEYS) or \
            not all(isinstance(v, str) and v for v in versions.values()):
        raise fail(f"versions: a mapping of {', '.join(VERSION_KEYS)} to text")
    levels = raw.get("levels") or {}
    if not isinstance(levels, dict) or set(levels) - {"critical", "warning", "info"} or raw["severity"] in levels:
        raise fail("levels: the other severities the alert is defined at, each with its `for`")
    return CatalogEntry(
        name=stem,
        severity=raw["severity"],
        for_=str(raw["for"]),
        component=str(raw["component"]),
        health_impact=str(raw.get("health_impact", "none")),
        source=str(raw.get("source", "objects")),
        summary=str(raw["summary"]).strip(),
        meaning=str(raw["meaning"]).strip(),
        impact=str(raw["impact"]).strip(),
        causes=tuple(causes),
        diagnosis=tuple(_step(fail, s, i, "diagnosis") for i, s in enumerate(raw["diagnosis"])),
        mitigation=mitigation,
        escalation=str(raw["escalation"]).strip(),
        related=tuple(raw["related"]),
        versions=tuple((key, versions[key]) for key in VERSION_KEYS if key in versions),
        levels=tuple((str(sev), str(hold)) for sev, hold in levels.items()),
    )


def _step(fail: Any, raw: Any, index: int, section: str) -> StepEntry:
    if not isinstance(raw, dict) or not raw.get("title") or not raw.get("command"):
        raise fail(f"{section}[{index}]: needs title and command")
    risk = str(raw.get("risk", "read-only"))
    if risk not in RISKS:
        raise fail(f"{section}[{index}]: risk {risk!r} not one of {RISKS}")
    step_id = str(raw.get("id") or f"{section}-{index + 1}")
    if not KEBAB.match(step_id):
        raise fail(f"{section}[{index}]: id {step_id!r} is not kebab-case")
    action = raw.get("action")
    if action is not None:
        if not isinstance(action, dict) or action.get("type") not in ACTION_TYPES or "name" not in action:
            raise fail(f"{section}[{index}]: action needs a type (one of {', '.join(ACTION_TYPES)}) and a name")
        if risk == "read-only":
            raise fail(f"{section}[{index}]: a read-only step cannot be an action")
    return StepEntry(step_id, str(raw["title"]).strip(), str(raw["command"]).strip(), risk, action)
