"""The example dump and every case dump, written once a session (as JSON, the fastest to read again)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.casedumps import CASE_IDS, CASES, write_case
from virt_doctor.simulator.simulate import simulate
from virt_doctor.simulator.writer import write_dump

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "broken-cluster"
# a storm: three unrelated faults, each setting off several alerts (the problems' removal property needs them)
STORMS = ["storm-node-down", "storm-import-source-down", "storm-cdi-down", "vm-invalid-spec"]
DUMP_IDS = ["example", "storms", *CASE_IDS]


@pytest.fixture(scope="session")
def scope_dumps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("case-dumps")
    dumps = {"example": EXAMPLE,
             "storms": write_dump(simulate(nodes=3, vms=16, faults=STORMS, seed=7), out / "storms", "json")}
    for case_file, case_id in zip(CASES, CASE_IDS, strict=True):
        dumps[case_id] = write_case(case_file, out / case_id.replace("/", "__"), fmt="json")
    return dumps
