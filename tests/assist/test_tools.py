"""Every tool and resource on the example dump, through the SDK's client (in process): the answers are the CLI's,
the results match their published schemas, and every mistake is a tool error of one line."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import jsonschema
import pytest
from mcp.shared.exceptions import MCPError

from tests.assist.mcpclient import EXAMPLE, TOOLS, VIRT_DOCTOR, call, run
from virt_doctor.assist.server import build_server
from virt_doctor.assist.workspace import Configured
from virt_doctor.catalog import load_catalog
from virt_doctor.report.explain import entry_markdown
from virt_doctor.report.model import report_to_dict
from virt_doctor.scan import ScanRequest, run_scan


@pytest.fixture(scope="module")
def server() -> Any:
    return build_server(Configured(source=EXAMPLE))


@pytest.fixture(scope="module")
def schemas(server: Any) -> dict[str, Any]:
    listed = run(server, lambda client: client.list_tools())
    return {tool.name: tool for tool in listed.tools}


def ok(server: Any, schemas: dict[str, Any], tool: str, arguments: dict[str, Any]) -> Any:
    """A call that must succeed: its structured result checked against the tool's output schema, client-side."""
    result = call(server, tool, arguments)
    assert not result.is_error, result.content[0].text
    jsonschema.validate(result.structured_content, schemas[tool].output_schema)
    assert result.content[0].type == "text" and result.content[0].text.strip()
    return result


def refused(server: Any, tool: str, arguments: dict[str, Any]) -> str:
    """A call that must fail as a tool error of one line (never a protocol error or a crash): its message."""
    result = call(server, tool, arguments)
    assert result.is_error and result.structured_content is None
    [text] = [block.text for block in result.content]
    assert "\n" not in text and "Traceback" not in text and "internal error" not in text, text
    return str(text)


def cli_json(*args: str) -> Any:
    done = subprocess.run([str(VIRT_DOCTOR), *args, "-o", "json"], capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def test_the_five_tools_are_read_only_with_schemas(schemas: dict[str, Any]) -> None:
    assert set(schemas) == TOOLS
    for tool in schemas.values():
        assert tool.description and tool.input_schema["type"] == "object"
        assert tool.output_schema and tool.output_schema["type"] == "object", tool.name
        assert tool.annotations.read_only_hint is True and tool.annotations.destructive_hint is False
    assert schemas["explain_alert"].input_schema["required"] == ["alert"]
    assert set(schemas["scan"].input_schema["properties"]) == {"source", "namespace", "alerts", "at"}


def test_list_alerts_is_the_catalog_and_says_what_each_needs(server: Any, schemas: dict[str, Any]) -> None:
    result = ok(server, schemas, "list_alerts", {})
    rows = {row["name"]: row for row in result.structured_content["alerts"]}
    assert list(rows) == load_catalog().names() and result.structured_content["count"] == len(rows) == 85
    assert rows["VirtAPIDown"]["severity"] == "critical" and rows["VirtAPIDown"]["component"] == "kubevirt"
    # an alert a Prometheus-less scan skips for want of Prometheus is one the list says needs it, and the other way
    report = run_scan(ScanRequest(source=EXAMPLE)).report
    for coverage in report.coverage:
        needs = coverage.status == "skipped" and coverage.reason.startswith("needs Prometheus")
        if needs:
            assert rows[coverage.alert]["evaluable_from"] == ["prometheus"], coverage.alert
        if "objects" in rows[coverage.alert]["evaluable_from"]:
            assert not needs, coverage.alert
    assert f"{len(rows)} alerts" in result.content[0].text


def test_explain_alert_is_the_runbook(server: Any, schemas: dict[str, Any]) -> None:
    entry = load_catalog().get("VirtualMachineStuckOnNode")
    result = ok(server, schemas, "explain_alert", {"alert": "virtualmachinestuckonnode"})
    assert result.structured_content == json.loads(json.dumps(entry.to_dict()))
    assert result.content[0].text == entry_markdown(entry)


def test_scan_is_the_cli_report(server: Any, schemas: dict[str, Any]) -> None:
    result = ok(server, schemas, "scan", {})
    cli = cli_json("scan", "--from", str(EXAMPLE))
    data = result.structured_content
    for key in ("schema", "evaluated_at", "source", "findings", "problems", "coverage"):
        assert data[key] == cli[key], key
    assert data["not_evaluated"] == [{"alert": c["alert"], "reason": c["reason"]} for c in cli["coverage"]
                                     if c["status"] != "evaluated"] != []
    text = result.content[0].text
    assert f"{len(cli['findings'])} firing, 0 pending · {len(cli['problems'])} problems" in text
    assert f"not evaluated: {len(data['not_evaluated'])} alerts" in text
    for finding in cli["findings"]:  # every finding named in the summary (the example has fewer than it shows)
        assert f"[finding {finding['id']}]" in text


def test_scan_filters_as_the_cli_does(server: Any, schemas: dict[str, Any]) -> None:
    result = ok(server, schemas, "scan", {"namespace": "vms-002", "alerts": ["CDIDataVolumeUnusualRestartCount",
                                                                           "virtualmachinestuckinunhealthystate"]})
    cli = cli_json("scan", "--from", str(EXAMPLE), "-n", "vms-002", "--alert", "CDIDataVolumeUnusualRestartCount",
                   "--alert", "VirtualMachineStuckInUnhealthyState")
    assert result.structured_content["findings"] == cli["findings"]
    assert {f["alert"] for f in cli["findings"]} == {"CDIDataVolumeUnusualRestartCount",
                                                     "VirtualMachineStuckInUnhealthyState"}
    assert {f["subject"]["namespace"] for f in cli["findings"]} == {"vms-002"}
    assert result.structured_content["coverage"] == cli["coverage"]


def test_scan_reads_another_dump_named_by_the_tool(server: Any, schemas: dict[str, Any], simulated: Any) -> None:
    dump, _ = simulated(faults=["handler-crashloop"], nodes=3, vms=6)
    result = ok(server, schemas, "scan", {"source": str(dump)})
    expected = report_to_dict(run_scan(ScanRequest(source=dump)).report)
    assert result.structured_content["findings"] == expected["findings"]
    assert result.structured_content["source"]["location"] == str(dump)
    assert {f["alert"] for f in expected["findings"]} >= {"VirtHandlerDaemonSetRolloutFailing"}


def test_diagnose_alert_by_labels_is_the_cli_diagnosis(server: Any, schemas: dict[str, Any]) -> None:
    labels = {"namespace": "vms-000", "name": "rhel9-00036"}
    result = ok(server, schemas, "diagnose_alert", {"alert": "VirtualMachineStuckOnNode", "labels": labels})
    cli = cli_json("diagnose", "VirtualMachineStuckOnNode", "-l", "namespace=vms-000", "-l", "name=rhel9-00036",
                   "--from", str(EXAMPLE))
    data = result.structured_content
    assert data["findings"] == cli["findings"] and len(cli["findings"]) == 1
    [verdict] = data["verdicts"]
    assert verdict == {"alert": "VirtualMachineStuckOnNode", "labels": labels, "verdict": "holds", "why": "",
                       "findings": [cli["findings"][0]["id"]]}
    assert [p["id"] for p in data["problems"]] == [p["id"] for p in cli["problems"]]
    assert data["problems"][0]["alerts"] == ["VirtualMachineStuckOnNode"]
    text = result.content[0].text
    assert "cause: The node cannot pull the VM's image (high)" in text and "ErrImagePull" in text
    assert f"belongs to problem {cli['problems'][0]['id']}" in text


def test_diagnose_alert_takes_a_webhook_payload(server: Any, schemas: dict[str, Any]) -> None:
    payload = {"version": "4", "status": "firing", "alerts": [
        {"status": "firing", "labels": {"alertname": "VirtualMachineStuckOnNode", "namespace": "vms-000",
                                        "name": "rhel9-00036", "severity": "warning"}},
        {"status": "firing", "labels": {"alertname": "VirtualMachineStuckOnNode", "namespace": "vms-000",
                                        "name": "no-such-vm"}}]}
    for given in (payload, json.dumps(payload)):  # the object, or its JSON text
        data = ok(server, schemas, "diagnose_alert", {"alert_json": given}).structured_content
        assert [v["verdict"] for v in data["verdicts"]] == ["holds", "not-holding"]
        assert data["verdicts"][1]["why"].startswith("its condition does not hold for that instance now")
        assert len(data["findings"]) == 1


def test_fix_plan_is_the_cli_plan_and_never_applies(server: Any, schemas: dict[str, Any]) -> None:
    cli = cli_json("fix", "fd4d3b44ea861a55", "--from", str(EXAMPLE))
    result = ok(server, schemas, "fix_plan", {"finding": "fd4d3b"})
    data = result.structured_content
    assert data["plans"] == cli["plans"] and len(cli["plans"]) == 1
    assert data["finding"]["id"] == "fd4d3b44ea861a55" and data["live"] is False and data["applied"] is False
    assert data["plans"][0]["preview"] is None and data["plans"][0]["outcome"] is None
    assert "virt-doctor fix fd4d3b44ea861a55 --apply" in data["how_to_apply"]
    text = result.content[0].text
    assert "DELETE /api/v1/namespaces/vms-000/pods/virt-launcher-rhel9-00036-c2zct" in text
    # by alert and labels, the same finding
    again = ok(server, schemas, "fix_plan", {"alert": "VirtualMachineStuckOnNode",
                                             "labels": {"namespace": "vms-000", "name": "rhel9-00036"}})
    assert again.structured_content["plans"] == data["plans"]


def test_a_finding_with_no_automatable_step_says_the_steps_are_by_hand(server: Any, schemas: dict[str, Any]) -> None:
    data = ok(server, schemas, "fix_plan", {"finding": "247d7c45e42e869e"}).structured_content
    assert data["plans"] == [] and data["by_hand"] and all(s["command"] for s in data["by_hand"])
    assert "by hand" in data["how_to_apply"]


@pytest.mark.parametrize(("tool", "arguments", "says"), [
    ("explain_alert", {"alert": "VirtualMachineStuckOnNod"},
     "unknown alert 'VirtualMachineStuckOnNod'; did you mean VirtualMachineStuckOnNode"),
    ("explain_alert", {}, "explain_alert: alert: Field required"),
    ("explain_alert", {"alert": 3}, "explain_alert: alert: Input should be a valid string"),
    ("scan", {"alerts": "VirtAPIDown"}, "scan: alerts: Input should be a valid list"),
    ("scan", {"alerts": ["VirtAPIDwn"]}, "unknown alert 'VirtAPIDwn'; did you mean VirtAPIDown"),
    ("scan", {"source": "/nonexistent/dump"}, "/nonexistent/dump: no such file or directory"),
    ("scan", {"source": "/etc/hostname"}, "/etc/hostname: a text file, not a dump"),
    ("scan", {"at": "yesterday-ish"}, "yesterday-ish"),
    ("diagnose_alert", {}, "name the alert (alert and labels), or give alert_json"),
    ("diagnose_alert", {"alert": "VirtAPIDown", "alert_json": {"labels": {"alertname": "VirtAPIDown"}}},
     "give alert and labels, or alert_json, not both"),
    ("diagnose_alert", {"alert_json": "{not json"}, "alert_json: not JSON"),
    ("diagnose_alert", {"alert_json": {"labels": {"severity": "warning"}}}, "alert_json: alert 0 has no labels.alertname"),
    ("diagnose_alert", {"alert": "VirtAPIDown", "labels": ["namespace=x"]},
     "diagnose_alert: labels: Input should be a valid dictionary"),
    ("fix_plan", {}, "name the finding: its id (from scan), or alert and labels"),
    ("fix_plan", {"finding": "abc"}, "'abc': give at least 6 characters of the finding's id"),
    ("fix_plan", {"finding": "ffffffffffff"}, "no finding ffffffffffff holds now"),
    ("fix_plan", {"finding": "fd4d3b44ea861a55", "steps": ["no-such-step"]},
     "no-such-step: not an automatable step of finding fd4d3b44ea861a55"),
    ("no_such_tool", {}, "Unknown tool: no_such_tool"),
])
def test_mistakes_are_one_line_tool_errors(server: Any, tool: str, arguments: dict[str, Any], says: str) -> None:
    assert says in refused(server, tool, arguments)


def test_the_same_mistake_reads_as_the_cli_says_it(server: Any) -> None:
    done = subprocess.run([str(VIRT_DOCTOR), "explain", "VirtualMachineStuckOnNod"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == "virt-doctor: error: " + refused(server, "explain_alert",
                                                                   {"alert": "VirtualMachineStuckOnNod"})


def test_runbooks_are_resources(server: Any) -> None:
    async def work(client: Any) -> tuple[Any, Any, Any]:
        listed = await client.list_resources()
        templates = await client.list_resource_templates()
        read = await client.read_resource("virt-doctor://runbooks/VirtAPIDown")
        return listed, templates, read

    listed, templates, read = run(server, work)
    assert [r.name for r in listed.resources] == load_catalog().names()
    assert {str(r.uri) for r in listed.resources} == {f"virt-doctor://runbooks/{n}" for n in load_catalog().names()}
    assert [t.uri_template for t in templates.resource_templates] == ["virt-doctor://runbooks/{alert}"]
    [content] = read.contents
    assert content.mime_type == "text/markdown" and content.text == entry_markdown(load_catalog().get("VirtAPIDown"))
    # the template answers any spelling the catalog does; an unknown name is the CLI's message
    lower = run(server, lambda client: client.read_resource("virt-doctor://runbooks/virtapidown"))
    assert lower.contents[0].text == content.text
    async def unknown(client: Any) -> MCPError:
        with pytest.raises(MCPError) as raised:
            await client.read_resource("virt-doctor://runbooks/VirtAPIDow")
        return raised.value

    error = run(server, unknown)
    assert error.error.message.startswith("unknown alert 'VirtAPIDow'; did you mean VirtAPIDown")
