"""A report read back from its JSON is the same report (a store keeps reports as JSON)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from tests.conftest import scan
from virt_doctor.report.model import CrossCheck, ReportFormatError
from virt_doctor.report.render import report_from_json, report_json

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "broken-cluster"


def test_the_example_report_survives_json() -> None:
    report = scan(EXAMPLE)
    report = replace(report, crosscheck=(CrossCheck("VirtAPIDown", "none", "firing", False),
                                         CrossCheck("SSPDown", "skipped", "none", None)))
    text = report_json(report)
    again = report_from_json(text)
    assert report_json(again) == text
    assert again.findings[0].subject == report.findings[0].subject
    assert [f.id for f in again.findings] == [f.id for f in report.findings]
    assert again.coverage == report.coverage and again.crosscheck == report.crosscheck
    assert all(f.diagnosis and f.diagnosis[0].risk == "read-only" for f in again.findings if f.diagnosis)


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d.pop("schema"), "report.schema: missing"),
    (lambda d: d.update(schema="other/v9"), "report.schema: 'other/v9' is not 'virt-doctor/report/v1'"),
    (lambda d: d["findings"][0]["cause"].pop("id"), "report.findings[0].cause.id: missing"),
    (lambda d: d["findings"][1].update(labels=[]), "report.findings[1].labels: expected dict, got list"),
    (lambda d: d["coverage"][2].pop("status"), "report.coverage[2].status: missing"),
])
def test_a_bad_report_names_the_field(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    data = orjson.loads(report_json(scan(EXAMPLE)))
    mutate(data)
    with pytest.raises(ReportFormatError) as err:
        report_from_json(orjson.dumps(data))
    assert str(err.value) == message
    with pytest.raises(ReportFormatError, match="report: not JSON"):
        report_from_json(b"{")
