"""The service keeps problems: one chat message when a problem opens (naming every alert it set off so far), an
update when an alert joins it, one when it clears; an Alertmanager alert virt-doctor already tracks joins that
incident; the overview lists problems first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import SimulateFn
from tests.serve.alerts import PATH, Chat, am_alert, instance_labels, payload, received
from virt_doctor.scan import ScanRequest, ScanResult, run_scan
from virt_doctor.serve.app import create_app
from virt_doctor.serve.notify import Notifier
from virt_doctor.serve.service import Service
from virt_doctor.serve.view import ClusterView
from virt_doctor.store.database import open_engine
from virt_doctor.store.schema import Incident


def test_an_alert_virt_doctor_tracks_joins_its_incident(db_url: str, example_view: ClusterView) -> None:
    service = Service(example_view, open_engine(db_url), interval=0)
    client = TestClient(create_app(service, start_background=False))
    service.evaluate_once()
    assert example_view.current is not None
    f = next(f for f in example_view.current.report.findings if f.alert == "CDIOperatorDown")
    client.post(PATH, json=payload([am_alert(instance_labels(f), "cdi-1")]))
    with service.sessions() as session:
        [incident] = session.scalars(select(Incident).where(Incident.alertname == "CDIOperatorDown")).all()
        assert (incident.origin, incident.alias, incident.notifications, incident.finding_id) == \
            ("virt-doctor", "cdi-1", 1, f.id)
    # Alertmanager says resolved: closed; virt-doctor's next evaluation still sees the condition: reopened
    client.post(PATH, json=payload([am_alert(instance_labels(f), "cdi-1", "resolved")], "resolved"))
    with service.sessions() as session:
        [incident] = session.scalars(select(Incident).where(Incident.alertname == "CDIOperatorDown")).all()
        assert (incident.state, incident.notifications) == ("resolved", 2)
    service.evaluate_once()
    with service.sessions() as session:
        [incident] = session.scalars(select(Incident).where(Incident.alertname == "CDIOperatorDown")).all()
        assert (incident.state, incident.notifications) == ("firing", 2)
    listed = client.get("/api/v1/incidents", params={"alert": "CDIOperatorDown"}).json()
    assert len(listed) == 1


def test_an_incident_alertmanager_opened_first_is_the_one_kept(db_url: str, example_view: ClusterView) -> None:
    service = Service(example_view, open_engine(db_url), interval=0)
    client = TestClient(create_app(service, start_background=False))
    assert example_view.current is not None
    f = next(f for f in example_view.current.report.findings if f.alert == "CDIOperatorDown")
    client.post(PATH, json=payload([am_alert(instance_labels(f), "cdi-1")]))
    service.evaluate_once()
    with service.sessions() as session:
        [incident] = session.scalars(select(Incident).where(Incident.alertname == "CDIOperatorDown")).all()
        assert (incident.origin, incident.key, incident.finding_id) == ("alertmanager", "cdi-1", f.id)
        assert incident.problem_key == next(p.id for p in example_view.current.report.problems
                                            if f.id in p.findings)


def sequence(*results: ScanResult) -> Callable[[], ScanResult]:
    """A view that reads the cluster as given, one state per evaluation (the last one repeats)."""
    states = list(results)
    return lambda: states.pop(0) if len(states) > 1 else states[0]


def test_a_problem_opens_grows_and_clears_in_three_messages(tmp_path: Path, simulated: SimulateFn,
                                                             chat: str) -> None:
    one_node, _ = simulated(["handler-crashloop"], nodes=3, vms=12, seed=5)
    every_node, _ = simulated(["storm-handler-crashloop"], nodes=3, vms=12, seed=5)
    healthy, _ = simulated([], nodes=3, vms=12, seed=5)
    first, second, third = (run_scan(ScanRequest(source=p)) for p in (one_node, every_node, healthy))
    [problem] = first.report.problems
    assert [p.id for p in second.report.problems] == [problem.id]  # the same root and cause: the same problem
    view = ClusterView(sequence(first, second, third))
    service = Service(view, open_engine(str(tmp_path / "db")), interval=0, notifier=Notifier(chat),
                      external_url="https://vd.example")
    client = TestClient(create_app(service, start_background=False))

    service.evaluate_once()
    lead = next(f for f in first.report.findings if f.id == problem.findings[0])
    client.post(PATH, json=payload([am_alert(instance_labels(lead), "a")]))
    [opened] = received(1)
    assert opened["text"].startswith(f"*Problem* ({problem.severity}): {problem.title}\n3 alerts: ")

    service.evaluate_once()  # every node's virt-handler now: new orphans join
    newcomer = next(f for f in second.report.findings if f.id not in problem.findings)
    client.post(PATH, json=payload([am_alert(instance_labels(newcomer), "b")]))
    *_, grown = received(2)
    joined = [f for f in second.report.findings if f.id not in problem.findings]
    assert grown["text"].startswith(f"*Problem update* ({second.report.problems[0].severity}): ")
    assert "joined by " in grown["text"] and f"now {len(second.report.findings)} alerts" in grown["text"]
    assert len(joined) >= 2
    client.post(PATH, json=payload([am_alert(instance_labels(newcomer), "b")]))  # said already: nothing

    service.evaluate_once()  # healthy again
    messages = received(3)
    assert len(messages) == 3 and messages[2]["text"].startswith("*Problem cleared* (")
    assert Chat.received == messages
    page = client.get(f"/problems/{problem.id}").text
    assert "resolved" in page and problem.title in page


def test_the_overview_lists_problems_first(db_url: str, example_view: ClusterView) -> None:
    service = Service(example_view, open_engine(db_url), interval=0)
    client = TestClient(create_app(service, start_background=False))
    service.evaluate_once()
    assert example_view.current is not None
    html = client.get("/").text
    assert html.index('id="problems"') < html.index('id="incidents"')
    for problem in example_view.current.report.problems:
        assert f'data-problem="{problem.id}"' in html
    crashing = next(p for p in example_view.current.report.problems if "virt-handler" in p.title)
    block = html[html.index(f'data-problem="{crashing.id}"'):]
    block = block[:block.index("</details>")]
    assert block.count("/incidents/") == len(crashing.findings) == 3
    page = client.get(f"/problems/{crashing.id}").text
    for why in crashing.why.values():
        assert why.replace("→", "&rarr;") in page or why in page


def test_an_incident_page_names_its_problem(db_url: str, example_view: ClusterView) -> None:
    service = Service(example_view, open_engine(db_url), interval=0)
    client = TestClient(create_app(service, start_background=False))
    service.evaluate_once()
    assert example_view.current is not None
    crashing = next(p for p in example_view.current.report.problems if "virt-handler" in p.title)
    listed = client.get(f"/api/v1/problems/{crashing.id}").json()
    assert listed["title"] == crashing.title and len(listed["incidents"]) == 3
    orphan = next(i for i in listed["incidents"] if i["alertname"] == "OrphanedVirtualMachineInstances")
    page = client.get(f"/incidents/{orphan['id']}").text
    assert f'Part of problem <a href="/problems/{crashing.id}">{crashing.title}</a>' in page
    assert "Node worker-003 → Pod openshift-cnv/virt-handler-" in page


def test_the_pages_count_time_up_to_when_the_cluster_was_read(db_url: str, example_view: ClusterView) -> None:
    """A dump collected weeks ago: the pages say 'for 30m' as the CLI does, never weeks of wall clock."""
    service = Service(example_view, open_engine(db_url), interval=0)
    client = TestClient(create_app(service, start_background=False))
    service.evaluate_once()
    html = client.get("/").text
    assert ">for 30m<" in html and " ago" not in html
    number = client.get("/api/v1/incidents", params={"alert": "CDIOperatorDown"}).json()[0]["id"]
    page = client.get(f"/incidents/{number}").text
    assert "(for 30m when the cluster was read)" in page and " ago" not in page
    assert "the cluster as last read is of 2026-11-20T09:14:03Z" in page


def test_an_alert_virt_doctor_cannot_judge_still_gets_its_runbooks_steps(db_url: str,
                                                                         example_view: ClusterView) -> None:
    service = Service(example_view, open_engine(db_url), interval=0)
    client = TestClient(create_app(service, start_background=False))
    labels = {"alertname": "VirtApiRESTErrorsBurst", "severity": "critical", "namespace": "openshift-cnv",
              "pod": "virt-api-7d9c6b5f4-abcde"}
    number = client.post(PATH, json=payload([am_alert(labels, "burst-1")])).json()["incidents"][0]["id"]
    page = client.get(f"/incidents/{number}").text
    from virt_doctor.catalog import load_catalog

    entry = load_catalog().get("VirtApiRESTErrorsBurst")
    assert "could not judge this alert itself" in page
    assert page.count('<button type="button" class="copy"') == len(entry.diagnosis) + len(entry.mitigation)
    assert "&lt;namespace&gt;" not in page and "-n openshift-cnv" in page


def test_a_browser_gets_pages_and_the_api_json_with_nothing_from_the_internet(db_url: str,
                                                                               example_view: ClusterView) -> None:
    service = Service(example_view, open_engine(db_url), interval=0)
    client = TestClient(create_app(service, start_background=False))
    html = {"accept": "text/html,application/xhtml+xml"}
    for path in ("/incidents/999999", "/incidents/not-a-number", "/nowhere", "/problems/zzz"):
        answer = client.get(path, headers=html)
        assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html"), path
        assert "Back to the overview" in answer.text
    assert client.get("/api/v1/incidents/999999").headers["content-type"] == "application/json"
    assert client.get("/docs").status_code == 404  # no page that loads its scripts from the internet
    listing = client.get("/api", headers=html).text
    assert "/api/v1/alertmanager" in listing and "/api/v1/problems" in listing and "cdn" not in listing.lower()
    assert "openapi" in client.get("/api/v1/openapi.json").json()


def test_a_notification_is_logged_in_one_line(db_url: str, example_view: ClusterView,
                                              caplog: pytest.LogCaptureFixture) -> None:
    service = Service(example_view, open_engine(db_url), interval=0)
    client = TestClient(create_app(service, start_background=False))
    caplog.set_level("INFO", logger="virt_doctor.serve")
    client.post(PATH, json=payload([am_alert({"alertname": "KubePodCrashLooping"}, "x"),
                                    am_alert({"alertname": "KubePodCrashLooping", "pod": "p"}, "y", "resolved")]))
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("notification from")]
    assert line.startswith("notification from virt-doctor: 2 alerts (1 firing, 1 resolved) → incidents ")


def test_the_incident_page_reads_the_telling_evidence_first(db_url: str, example_view: ClusterView) -> None:
    service = Service(example_view, open_engine(db_url), interval=0)
    client = TestClient(create_app(service, start_background=False))
    service.evaluate_once()
    assert example_view.current is not None
    tainted = next(f for f in example_view.current.report.findings if f.subject.name == "worker-005")
    number = next(i["id"] for i in client.get("/api/v1/incidents").json() if i["finding_id"] == tainted.id)
    page = client.get(f"/incidents/{number}").text
    rows = page[page.index('<table class="evidence">'):]
    assert rows.index("spec.taints") < rows.index("VirtualMachineInstance/")
