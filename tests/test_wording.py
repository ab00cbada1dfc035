from virt_doctor.wording import counted


def test_counted_agrees_in_number() -> None:
    assert counted(1, "pod") == "1 pod"
    assert counted(0, "pod") == "0 pods"
    assert counted(3, "ready virt-operator pod") == "3 ready virt-operator pods"
    assert counted(2, "replica", "replicas") == "2 replicas"
    assert counted(2, "index", "indexes") == "2 indexes"


def test_evidence_values_are_spelled_as_the_object_spells_them() -> None:
    """Lists, maps and booleans read as JSON (as kubectl prints them), never as Python reprs."""
    from virt_doctor.report.model import Evidence
    from virt_doctor.report.text import evidence_line

    line = evidence_line(Evidence("VirtualMachine/ns/vm", "metadata.finalizers", ["a/b", "c"], "still there"))
    assert line == 'VirtualMachine/ns/vm metadata.finalizers = ["a/b","c"]  (still there)'
    assert evidence_line(Evidence("KubeVirt/ns/kv", "spec.x", {"k": ""})).endswith('= {"k":""}')
    assert evidence_line(Evidence("VirtualMachine/ns/vm", "spec.running", True)).endswith("= true")
    assert evidence_line(Evidence("Pod/ns/p", "status.restartCount", 6)).endswith("= 6")
