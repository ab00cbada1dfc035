"""A directory dump read on several cores is the dump read on one: the same objects in the same order, the same
warnings, listings, gatherers and logs, the same findings and coverage — and a worker that fails changes nothing."""

from __future__ import annotations

import os
import random
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SimulateFn
from virt_doctor.report.model import Report
from virt_doctor.rules.engine import evaluate
from virt_doctor.simulator.simulate import simulate
from virt_doctor.simulator.writer import OpenShiftImage, write_dump
from virt_doctor.sources import dump as dump_module
from virt_doctor.sources import shards as shards_module
from virt_doctor.sources.dump import RawDump, read_dump
from virt_doctor.sources.load import load_dump
from virt_doctor.sources.shards import Shards, worker_bounds

EXAMPLE = Path(__file__).parents[2] / "examples" / "broken-cluster"
FAULTS = ("handler-crashloop", "vm-image-pull-on-node", "vm-datavolume-import-failure", "node-not-ready")


def state(raw: RawDump) -> dict[str, Any]:
    """Everything a read dump holds that a scan reads, in the order it holds it."""
    return {"objects": raw.objects, "warnings": raw.warnings, "skipped": raw.skipped_files,
            "scopes": list(raw.scopes.items()), "reasons": list(raw.reasons.items()),
            "inspected": sorted(raw.inspected), "selected": raw.selected, "files": raw.files_read,
            "collected_at": raw.collected_at, "truncated": raw.truncated, "gatherers": raw.gatherers.describe(),
            "logs": sorted((key, log.path, log.current, log.previous) for key, log in raw.logs.items()),
            "prometheus": raw.prometheus}


def judged(report: Report) -> tuple[list[Any], list[Any]]:
    return ([(f.id, f.alert, f.subject, f.cause, f.evidence) for f in report.findings],
            [(c.alert, c.status, c.reason) for c in report.coverage])


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fork workers for any dump however small, and record each file a worker's answer was used for."""
    monkeypatch.setattr(dump_module, "MIN_PARALLEL_WORK", 0)
    used: list[str] = []
    take = Shards.take

    def counting(self: Shards, key: str) -> Any:
        answer = take(self, key)
        if answer is not None:
            used.append(key)
        return answer

    monkeypatch.setattr(Shards, "take", counting)
    return used


def assert_same_read(path: Path, processes: int, used: list[str]) -> None:
    serial = read_dump(path, processes=1)
    assert used == []
    parallel = read_dump(path, processes=processes)
    assert used, "no worker's answer was used: the test did not read in parallel"
    assert state(parallel) == state(serial)
    assert no_children_left()


def no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_a_simulated_must_gather_reads_the_same_on_two_cores(simulated: SimulateFn, answered: list[str],
                                                             fmt: str) -> None:
    path, _ = simulated(FAULTS, nodes=6, vms=60, fmt=fmt)
    assert_same_read(path, 2, answered)
    # the workers took the tail of the object files: the files nearest the end were answered, none of the first
    objects = [rel for rel, _, _ in dump_module._walk_dir(path) if dump_module._parsed_alike(rel)]
    assert answered[-1] == objects[-1] and objects[0] not in answered
    ((start, end),) = worker_bounds([1.0 if fmt == "json" else 3.0] * len(objects), 2)
    assert len(answered) == end - start > len(objects) // 2  # more than half: the caller also takes answers in


def test_two_gatherers_and_more_workers_than_cores(tmp_path: Path, answered: list[str]) -> None:
    dump = write_dump(simulate(nodes=4, vms=20, seed=3, faults=list(FAULTS)), tmp_path / "dump",
                      openshift=OpenShiftImage("4.18.3"), also_collect=frozenset({"Lease"}))
    assert_same_read(dump, 4, answered)


def zipped(directory: Path, archive: Path, extra: dict[str, bytes] | None = None) -> Path:
    """The dump as a zip archive of its directory (as `zip -r` writes one), with extra members appended."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(directory.rglob("*")):
            out.write(path, path.relative_to(directory.parent))
        for name, data in (extra or {}).items():
            out.writestr(name, data)
    return archive


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_a_zip_archive_reads_the_same_on_two_cores(simulated: SimulateFn, answered: list[str], tmp_path: Path,
                                                   fmt: str) -> None:
    """Each worker reads the members through its own handle on the archive; the same read as one process."""
    path, _ = simulated(FAULTS, nodes=4, vms=24, fmt=fmt)
    archive = zipped(path, tmp_path / "must-gather.zip", {"dump/bad.json": b"{not json"})
    assert_same_read(archive, 2, answered)
    assert any(rel.endswith("bad.json") for rel in read_dump(archive, processes=1).skipped_files)


def test_a_zip_archive_with_two_members_of_one_name_is_read_in_one_process(
        simulated: SimulateFn, answered: list[str], tmp_path: Path) -> None:
    """A name held twice cannot say which member a worker's answer is for: no worker is started."""
    path, _ = simulated(nodes=3, vms=12, fmt="json")
    name = next(p for p in sorted(path.rglob("*.json")))
    with pytest.warns(UserWarning, match="Duplicate name"):
        archive = zipped(path, tmp_path / "twice.zip", {str(name.relative_to(path.parent)): b"{}"})
    serial = state(read_dump(archive, processes=1))
    assert state(read_dump(archive, processes=2)) == serial
    assert answered == []


def test_bad_files_give_the_same_warnings_in_the_same_order(simulated: SimulateFn, answered: list[str]) -> None:
    path, _ = simulated(nodes=3, vms=12, fmt="json")
    files = [path / rel for rel, _, _ in dump_module._walk_dir(path) if dump_module._parsed_alike(rel)]
    half = len(files) // 2
    files[1].write_text("{not json")  # in the caller's share
    files[half + 2].write_text("[1, 2]")  # in the worker's: not objects
    files[-2].write_text('{"kind": "List", "items": [{"metadata": {}}, 7]}')
    (files[-3].parent / "extra.yaml").write_text("kind: [unclosed\n")
    (files[-3].parent / "list.yaml").write_text(
        "apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: p, namespace: elsewhere}\n  spec: {}\n")
    assert_same_read(path, 2, answered)
    warnings = read_dump(path, processes=2).warnings
    assert any("invalid JSON" in w for w in warnings) and any("invalid YAML" in w for w in warnings)
    assert any("not a Kubernetes object" in w for w in warnings)


def test_the_example_scans_to_the_same_findings_and_coverage(answered: list[str]) -> None:
    serial = evaluate(load_dump(EXAMPLE, processes=1))
    parallel = evaluate(load_dump(EXAMPLE, processes=2))
    assert answered
    assert judged(parallel) == judged(serial)


def test_a_simulated_cluster_scans_to_the_same_findings_and_coverage(simulated: SimulateFn,
                                                                     answered: list[str]) -> None:
    path, cluster = simulated(FAULTS, nodes=6, vms=60, fmt="yaml")
    serial = evaluate(load_dump(path, processes=1))
    parallel = evaluate(load_dump(path, processes=2))
    assert answered
    assert judged(parallel) == judged(serial)
    assert len(parallel.findings) >= len(FAULTS)


def test_a_worker_that_fails_changes_nothing(simulated: SimulateFn, answered: list[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = simulated(FAULTS, nodes=4, vms=24, fmt="json")
    serial = state(read_dump(path, processes=1))
    caller = os.getpid()
    parse = dump_module.parse_object_file

    def dies_in_a_worker(rel: str, data: bytes, strings: Any) -> Any:
        if os.getpid() != caller:
            os.kill(os.getpid(), 9)  # the worker is killed midway (the OOM killer, say)
        return parse(rel, data, strings)

    monkeypatch.setattr(dump_module, "parse_object_file", dies_in_a_worker)
    assert state(read_dump(path, processes=2)) == serial
    assert answered == []  # the caller read every file itself
    assert no_children_left()


def test_a_worker_that_dies_part_way_leaves_the_rest_to_the_caller(simulated: SimulateFn, answered: list[str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The chunks a worker finished are used, the rest is read by the caller: the same read either way."""
    monkeypatch.setattr(shards_module, "CHUNK", 16)
    path, _ = simulated(FAULTS, nodes=4, vms=24, fmt="json")
    serial = state(read_dump(path, processes=1))
    caller = os.getpid()
    parse = dump_module.parse_object_file
    done: list[str] = []  # in the worker: the files it parsed

    def dies_after_two_chunks(rel: str, data: bytes, strings: Any) -> Any:
        if os.getpid() != caller:
            done.append(rel)
            if len(done) > 2 * 16:
                os.kill(os.getpid(), 9)
        return parse(rel, data, strings)

    monkeypatch.setattr(dump_module, "parse_object_file", dies_after_two_chunks)
    assert state(read_dump(path, processes=2)) == serial
    assert len(answered) == 2 * 16  # the two whole chunks, and no answer of the third
    assert no_children_left()


def test_answers_marshal_cannot_carry_are_read_by_the_caller(simulated: SimulateFn, answered: list[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = simulated(nodes=3, vms=12, fmt="json")
    serial = state(read_dump(path, processes=1))
    caller = os.getpid()
    parse = dump_module.parse_object_file

    def unmarshallable(rel: str, data: bytes, strings: Any) -> Any:
        parsed = parse(rel, data, strings)
        if os.getpid() != caller and parsed.objects:
            parsed.objects[0]["odd"] = object()
        return parsed

    monkeypatch.setattr(dump_module, "parse_object_file", unmarshallable)
    assert state(read_dump(path, processes=2)) == serial
    assert answered == []


def test_a_small_dump_is_read_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise AssertionError("forked for a small dump")

    monkeypatch.setattr(shards_module.os, "fork", no_fork)
    assert len(read_dump(EXAMPLE).objects) > 0  # the default: as many processes as cores, but not for this


def test_an_interrupted_read_stops_its_workers(simulated: SimulateFn, answered: list[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = simulated(nodes=4, vms=24, fmt="json")

    def interrupted(raw: RawDump, rel: str, parsed: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(dump_module, "_take", interrupted)
    with pytest.raises(KeyboardInterrupt):
        read_dump(path, processes=3)
    assert no_children_left()


@pytest.mark.parametrize(("costs", "processes", "expected"), [
    ([1.0] * 10, 2, [(5, 10)]),
    ([1.0] * 100, 2, [(42, 100)]),  # JSON: the caller reads 42%, and takes the worker's 58% in
    ([3.0] * 100, 2, [(48, 100)]),  # YAML: taking an answer in is cheap beside parsing it, so nearly half
    ([1.0] * 50 + [3.0] * 50, 2, [(65, 100)]),
    ([1.0] * 12, 4, [(1, 5), (5, 9), (9, 12)]),
    ([1.0], 2, []),
    ([1.0] * 100, 1, []),
])
def test_workers_take_contiguous_shares_from_the_end(costs: list[float], processes: int,
                                                     expected: list[tuple[int, int]]) -> None:
    assert worker_bounds(costs, processes) == expected


@pytest.mark.parametrize("seed", range(20))
def test_the_shares_cost_alike(seed: int) -> None:
    """The caller's share plus taking every answer in costs what each worker's share does, within one item."""
    rng = random.Random(seed)
    costs = [rng.choice([1.0, 3.0]) for _ in range(rng.randint(50, 5000))]
    processes = rng.randint(2, 4)
    bounds = worker_bounds(costs, processes)
    assert len(bounds) == processes - 1 and bounds[-1][1] == len(costs)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
    start = bounds[0][0]
    caller = sum(costs[:start]) + shards_module.TAKE_IN * (len(costs) - start)
    for lo, hi in bounds:
        assert abs(sum(costs[lo:hi]) - caller) <= 3.0 * (processes + 1)
