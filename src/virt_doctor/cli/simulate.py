"""`virt-doctor simulate`: write a realistic dump of a simulated cluster, with named faults injected."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from virt_doctor.cli.errors import fail, handles_input_errors
from virt_doctor.cli.options import choice, flag, stderr_console, stdout_console
from virt_doctor.timeutil import parse_duration, parse_user_time


class DumpFormat(StrEnum):
    yaml = "yaml"
    json = "json"


@handles_input_errors
def simulate(
    out: Annotated[Path | None, typer.Option("--out", help="Directory to write (must be empty or new); "
                                             "a name ending .tar.gz writes an archive.")] = None,
    nodes: Annotated[int, typer.Option("--nodes", min=1, help="Worker nodes (3 control-plane nodes are added).")] = 3,
    vms: Annotated[int, typer.Option("--vms", min=0, help="Virtual machines.")] = 10,
    fault: Annotated[list[str] | None, typer.Option("--fault", metavar="FAULT", help="Inject a named fault (repeatable); "
                                                    "see --list-faults.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same dump.")] = 1,
    at: Annotated[str, typer.Option("--at", help="Collection time written to the dump.")] = "2026-11-20T09:14:03Z",
    fault_age: Annotated[str, typer.Option("--fault-age", help="How long before collection the faults began "
                                           "(e.g. 3m for a pending alert).")] = "30m",
    install_namespace: Annotated[str, typer.Option("--install-namespace", help="Where KubeVirt is installed "
                                                   "(openshift-cnv on OpenShift, kubevirt upstream).")] = "openshift-cnv",
    fmt: Annotated[DumpFormat, choice("--format", choices=DumpFormat, help="File format of the objects.")] = DumpFormat.yaml,
    vms_details: Annotated[bool, flag("--vms-details/--no-vms-details", help="Include VM namespaces' "
                                              "pods and events (must-gather's --vms_details).")] = True,
    metrics: Annotated[bool, flag("--metrics", help="Also write the matching metric history as OpenMetrics "
                                          "(metrics.om, for promtool tsdb create-blocks-from openmetrics).")] = False,
    openshift_image: Annotated[str | None, typer.Option("--openshift-image", metavar="VERSION", help="Also write the "
                                                        "default OpenShift image's directory, as `oc adm must-gather "
                                                        "--image=<kubevirt> --image=<default>` does (its version file "
                                                        "says VERSION; nodes, storage, every Lease).",
                                                        show_default=False)] = None,
    list_faults: Annotated[bool, flag("--list-faults", help="List the faults and exit.")] = False,
) -> None:
    """Write a simulated cluster dump in the must-gather layout, healthy or with faults."""
    from virt_doctor.simulator.simulate import simulate as build
    from virt_doctor.simulator.writer import OpenShiftImage, write_dump
    if list_faults:
        _print_faults()
        return
    if out is None:
        raise fail("give --out DIR (or --out NAME.tar.gz)")
    try:
        age = parse_duration(fault_age)
    except ValueError:
        raise fail(f"--fault-age {fault_age!r} is not a duration (e.g. 3m, 1h)") from None
    try:
        cluster = build(nodes=nodes, vms=vms, faults=fault or [], seed=seed, at=parse_user_time(at),
                        install_ns=install_namespace, fault_age=age, vms_details=vms_details)
    except KeyError as exc:
        raise fail(str(exc.args[0])) from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    err = stderr_console()
    archive = str(out).endswith((".tar.gz", ".tgz"))
    openshift = OpenShiftImage(openshift_image) if openshift_image else None
    if sys.stderr.isatty():
        with err.status("writing …") as status:
            path = write_dump(cluster, out, fmt.value, archive, progress=lambda n: status.update(f"{n} files …"),
                              metrics=metrics, openshift=openshift)
    else:
        path = write_dump(cluster, out, fmt.value, archive, metrics=metrics, openshift=openshift)
    err.print(f"wrote {path}: {nodes} workers, {vms} VMs, seed {seed}", highlight=False)
    for item in cluster.injected:
        subject = f"{item.kind}/{item.namespace}/{item.name}" if item.namespace else f"{item.kind}/{item.name}"
        expected = f" → {item.alert} on {subject} (cause {item.cause})" if item.alert else f" ({subject})"
        err.print(f"  fault {item.fault}: {item.detail}{expected}", highlight=False, markup=False)
    from virt_doctor.simulator.faults import FAULTS

    metric = sorted({i.fault for i in cluster.injected
                     if i.fault in FAULTS and FAULTS[i.fault].fn.__module__.endswith(".faults.metrics")})
    if metric:  # their alerts fire from metrics: a scan of the objects alone shows nothing of them
        err.print(f"  {', '.join(metric)}: metric fault{'s' if len(metric) > 1 else ''} — "
                  + ("the dump's metrics.om holds the history; " if metrics else "add --metrics for its history, "
                     "then ") + "scan with --prometheus over it (bash scripts/demo-prometheus.sh shows how)",
                  highlight=False, markup=False)


def _print_faults() -> None:
    from virt_doctor.simulator.faults import ALIASES, FAULTS
    console = stdout_console()
    aliases = {target: alias for alias, target in ALIASES.items()}
    for spec in sorted(FAULTS.values(), key=lambda s: (s.alert, s.name)):
        alias = f" (alias {aliases[spec.name]})" if spec.name in aliases else ""
        name = f"{spec.name}:{spec.param}" if spec.param else spec.name
        example = f" (default {spec.default}: {spec.alert} / {spec.cause})" if spec.param else \
            f"\n    {spec.alert} / {spec.cause}"
        console.print(f"{name}{alias}{example}\n    {spec.help}", markup=False)
