"""The rules `virt-doctor rules` exports, as the tests read them."""

from __future__ import annotations

from typing import Any

import yaml
from typer.testing import CliRunner

from virt_doctor.cli.app import app

runner = CliRunner()


def export(fmt: str) -> Any:
    result = runner.invoke(app, ["rules", "--format", fmt])
    assert result.exit_code == 0, result.stderr
    return yaml.safe_load(result.stdout)
