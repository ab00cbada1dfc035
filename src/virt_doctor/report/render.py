"""Machine formats of a report: JSON (the contract) and YAML, written atomically when to a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import orjson
import yaml

from virt_doctor.report.model import Report, ReportFormatError, report_from_dict, report_to_dict


def to_json(data: Any) -> str:
    """Indented JSON, keys in contract order."""
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode() + "\n"


def to_yaml(data: Any) -> str:
    """Block-style YAML, keys in contract order."""
    return yaml.safe_dump(orjson.loads(orjson.dumps(data)), sort_keys=False, allow_unicode=True, width=110)


def report_json(report: Report) -> str:
    return to_json(report_to_dict(report))


def report_from_json(text: str | bytes) -> Report:
    """A report read back from `report_json`'s output; ReportFormatError names what is wrong."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ReportFormatError(f"report: not JSON ({exc})") from exc
    return report_from_dict(data)


def report_yaml(report: Report) -> str:
    return to_yaml(report_to_dict(report))


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write to a temporary name beside the target, then rename: readers never see half a file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
