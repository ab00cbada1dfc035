"""The example dump and every case dump, written once a session (as JSON, the fastest to read again)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.casedumps import CASE_IDS, CASES, write_case

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "broken-cluster"
DUMP_IDS = ["example", *CASE_IDS]


@pytest.fixture(scope="session")
def scope_dumps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("case-dumps")
    dumps = {"example": EXAMPLE}
    for case_file, case_id in zip(CASES, CASE_IDS, strict=True):
        dumps[case_id] = write_case(case_file, out / case_id.replace("/", "__"), fmt="json")
    return dumps
