"""Where the store lives by default: a constant the commands show in their help without loading the store."""

from __future__ import annotations

import os
from pathlib import Path

# where the incident store lives unless told otherwise (`serve --db`, `fix --incident --db`)
DEFAULT_DB = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "virt-doctor" / "incidents.db"
