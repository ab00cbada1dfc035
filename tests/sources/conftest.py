"""The two ways a tar archive is read: through libarchive (what setup installs) and tarfile (without it)."""

from __future__ import annotations

import pytest

from virt_doctor.sources import dump as dump_module


@pytest.fixture(params=["libarchive", "tarfile"])
def tar_reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each tar test runs through libarchive, which must be here (setup installs it: no skip), and tarfile."""
    if request.param == "libarchive":
        assert dump_module._libarchive() is not None, "libarchive-c or the libarchive C library is missing"
    else:
        monkeypatch.setattr(dump_module, "_libarchive", lambda: None)
    return str(request.param)
