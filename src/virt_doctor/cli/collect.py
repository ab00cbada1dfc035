"""`virt-doctor collect`: what a live scan reads, written as a must-gather tree (.tar.gz) to hand to support."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from virt_doctor.cli.errors import fail, handles_input_errors
from virt_doctor.cli.options import Consistent, Context, Kubeconfig, Namespace, Quiet, flag, stderr_console


@handles_input_errors
def collect(
    out: Annotated[Path, typer.Option("--out", "-o", help="The archive to write (.tar.gz).", show_default=False)],
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    consistent: Consistent = False,
    namespace: Namespace = None,
    quiet: Quiet = False,
    include_configmap_data: Annotated[bool, flag("--include-configmap-data",
                                                         help="Keep ConfigMaps' data (left out by default).")] = False,
) -> None:
    """Read the live cluster (read-only, as `scan` does) and write it as a must-gather tree: objects, the logs a
    diagnosis reads, the collection time, and what could not be read. `scan --from` it gives the same findings.

    Secrets are never collected (so a missing Secret cannot be told from the archive); ConfigMap data is left
    out unless --include-configmap-data.
    """
    from virt_doctor.scan import LiveOptions, read_live_raw
    from virt_doctor.sources.collect import collect_files, write_archive
    if not out.name.endswith((".tar.gz", ".tgz")):
        raise fail(f"--out {out}: the archive is a .tar.gz (or .tgz)")
    at = datetime.now(UTC)
    err = stderr_console()
    options = LiveOptions(kubeconfig, context, configmap_data=include_configmap_data,
                          consistent=consistent)
    if not quiet and sys.stderr.isatty():
        with err.status("reading the cluster …"):
            raw = read_live_raw(options, at, namespace or "")
    else:
        raw = read_live_raw(options, at, namespace or "")
    files = collect_files(raw, at, keep_configmap_data=include_configmap_data)
    top = f"virt-doctor-collect-{at:%Y%m%d-%H%M%S}"
    write_archive(files, out, top)
    for warning in dict.fromkeys(raw.warnings):
        err.print(f"virt-doctor: warning: {warning}", markup=False)
    objects = sum(1 for o in raw.objects if o.get("kind") != "Secret")
    err.print(f"virt-doctor: wrote {out}: {objects} objects, {len(raw.logs)} container logs", markup=False)
