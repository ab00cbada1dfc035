from virt_doctor.wording import counted


def test_counted_agrees_in_number() -> None:
    assert counted(1, "pod") == "1 pod"
    assert counted(0, "pod") == "0 pods"
    assert counted(3, "ready virt-operator pod") == "3 ready virt-operator pods"
    assert counted(2, "replica", "replicas") == "2 replicas"
    assert counted(2, "index", "indexes") == "2 indexes"
