"""The README and docs/ stay true to the code: what they say of the catalog is generated from it (and not stale),
every link resolves inside the repository, and the front door says what changes a cluster."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.catalog.seeds import BEYOND_THE_SEEDS
from virt_doctor.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_what_the_docs_say_of_the_catalog_is_not_stale() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "make-docs.py"), "--check"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_link_resolves_inside_the_repository() -> None:
    broken = []
    for page in PAGES:
        for target in LINK.findall(page.read_text()):
            if target.startswith(("http://", "https://", "#", "mailto:")):
                continue
            resolved = (page.parent / target.split("#", 1)[0]).resolve()
            if not resolved.is_relative_to(ROOT) or not resolved.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []
    assert sum(len(LINK.findall(p.read_text())) for p in PAGES) >= 12  # the pages do link


def test_the_catalog_counts_the_prose_gives() -> None:
    text = (ROOT / "docs" / "alerts.md").read_text()
    said = re.search(r"holds \*\*(\d+)\*\* alerts: the (\d+) of the runbooks .*? and the (\d+) current", text, re.S)
    assert said is not None
    total, seeds, beyond = map(int, said.groups())
    assert (total, seeds, beyond) == (len(load_catalog()), len(load_catalog()) - len(BEYOND_THE_SEEDS),
                                      len(BEYOND_THE_SEEDS))


def test_the_front_door_says_what_writes_to_a_cluster() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "Nothing is ever applied" not in readme and "only lists and gets)" not in readme
    assert "fix --apply" in readme and "--fix-policy" in readme
    assert len(readme.splitlines()) <= 260


def test_the_architecture_page_names_every_shared_diagnosis() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text()
    modules = sorted(p.stem for p in (ROOT / "src" / "virt_doctor" / "rules" / "diagnose").glob("*.py")
                     if p.stem != "__init__")
    assert len(modules) >= 15 and [m for m in modules if m not in page] == []


def test_the_front_doors_finding_is_what_the_example_prints() -> None:
    """The finding the README shows, as `scan` prints it for the shipped example (wrapping aside)."""
    from virt_doctor.report.text import evidence_line
    from virt_doctor.scan import ScanRequest, run_scan

    readme = (ROOT / "README.md").read_text()
    report = run_scan(ScanRequest(source=ROOT / "examples" / "broken-cluster")).report
    finding = next(f for f in report.findings if f.alert == "OrphanedVirtualMachineInstances"
                   and f.subject.name == "worker-005")
    assert f"WARNING {finding.alert}  firing for 30m  {finding.subject.ref()}  [{finding.id[:12]}]" in readme
    assert f"virt-doctor fix {finding.id[:12]} --step remove-taint" in readme
    assert "$ kubectl taint nodes worker-005 maintenance=storage-firmware:NoExecute-" in readme
    assert f"cause: {finding.cause.id} — {finding.cause.title} ({finding.cause.confidence} confidence)" in readme
    for line in (evidence_line(finding.evidence[0]), evidence_line(finding.evidence[-1])):
        assert f"• {line}" in readme
    for step in finding.remediation:
        assert f"$ {step.command}" in readme and step.title in readme
