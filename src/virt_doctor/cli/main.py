"""The console scripts' entry: `--version` answers before any library loads; everything else runs the app."""

from __future__ import annotations

import sys


def _version_only() -> bool:
    if sys.argv[1:] != ["--version"]:
        return False
    from virt_doctor import __version__

    sys.stdout.write(f"virt-doctor {__version__}\n")
    return True


def main() -> None:
    """`virt-doctor ...`."""
    if not _version_only():
        from virt_doctor.cli.app import main as run

        run()


def kubectl_plugin() -> None:
    """`kubectl virt-doctor ...` and `oc virt-doctor ...`: kubectl finds this as kubectl-virt_doctor on PATH."""
    if not _version_only():
        from virt_doctor.cli.app import kubectl_plugin as run

        run()
