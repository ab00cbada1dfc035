"""Flags shared by commands, kubectl style (-o, -n, -A)."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from virt_doctor.errors import InputError


def flag(*names: str, **settings: Any) -> Any:
    """A boolean option as the help shows it: its name and help, no `<bool>` placeholder."""
    return typer.Option(*names, metavar="", **settings)


def dump_from(help_text: str) -> Any:
    """`--from/-f DUMP`: every command that reads a cluster takes a dump instead; its help says what it does with it."""
    return typer.Option("--from", "-f", help=help_text, show_default=False)



class ReportFormat(StrEnum):
    table = "table"
    wide = "wide"
    json = "json"
    yaml = "yaml"
    markdown = "markdown"


class CatalogFormat(StrEnum):
    table = "table"
    wide = "wide"
    json = "json"
    yaml = "yaml"
    markdown = "markdown"


def one_of(choices: type[StrEnum]) -> Any:
    """A parser for an option of these choices (any case) that names them when given another."""
    def parse(value: str | StrEnum) -> StrEnum:
        try:
            return choices(str(value).lower())
        except ValueError:
            raise typer.BadParameter(f"{value!r}: give one of {', '.join(choices)}") from None
    return parse


def choice(*names: str, choices: type[StrEnum], help: str) -> Any:  # noqa: A002 - typer's own word
    """An option whose value is one of `choices`: the help lists them, a wrong one is named with them."""
    return typer.Option(*names, parser=one_of(choices), metavar="|".join(choices), help=help)


Output = Annotated[ReportFormat, choice("--output", "-o", choices=ReportFormat, help="Output format.")]
CatalogOutput = Annotated[CatalogFormat, choice("--output", "-o", choices=CatalogFormat, help="Output format.")]
Namespace = Annotated[str | None, typer.Option("--namespace", "-n",
                                               help="Only findings about objects in this namespace (live: list "
                                                    "namespaced kinds only there and where the stack runs).")]
Kubeconfig = Annotated[str | None, typer.Option("--kubeconfig", envvar="KUBECONFIG",
                                                help="Kubeconfig file (default: KUBECONFIG, else ~/.kube/config; "
                                                     "in a pod, its service account).", show_default=False)]
Context = Annotated[str | None, typer.Option("--context", help="Kubeconfig context (default: the current one).",
                                             show_default=False)]
Consistent = Annotated[bool, flag("--consistent", help="Read from etcd (quorum, page by page) instead of "
                                          "the API server's watch cache: slower, never behind by a moment.")]
Quiet = Annotated[bool, flag("--quiet", "-q", help="No progress on stderr.")]
PrometheusToken = Annotated[str | None, typer.Option("--prometheus-token", envvar="VIRT_DOCTOR_PROMETHEUS_TOKEN",
                                                     help="Bearer token for Prometheus (never printed).",
                                                     show_default=False)]
PrometheusCA = Annotated[Path | None, typer.Option("--prometheus-ca", help="CA bundle for Prometheus' TLS.")]
PrometheusInsecure = Annotated[bool, flag("--prometheus-insecure",
                                                  help="Do not verify Prometheus' TLS certificate.")]
PrometheusTimeout = Annotated[float, typer.Option("--prometheus-timeout", min=0.1,
                                                  help="Seconds to wait for each Prometheus answer.")]


def prometheus_option(what: str) -> Any:
    """--prometheus (env VIRT_DOCTOR_PROMETHEUS_URL), with what the command does with it."""
    return typer.Option("--prometheus", envvar="VIRT_DOCTOR_PROMETHEUS_URL", help=what)


PrometheusURL = Annotated[str | None, prometheus_option(
    "Prometheus or Thanos querier URL, for the metric alerts; 'auto' on OpenShift: the thanos-querier route, with "
    "the kubeconfig's token.")]


def prometheus_client(url: str | None, token: str | None = None, ca: Path | None = None, insecure: bool = False,
                      timeout: float = 10.0, dump: Path | None = None, kubeconfig: str | None = None,
                      context: str | None = None) -> Any:
    """The PrometheusClient the --prometheus options ask for (None without a URL); 'auto': the OpenShift
    thanos-querier route of the kubeconfig's cluster, with its token — only where the source is that cluster."""
    if not url:
        return None
    from virt_doctor.sources.prometheus import PrometheusClient

    if url == "auto":
        if dump is not None:
            raise InputError("--prometheus auto finds the querier in a live cluster; with --from give its URL")
        from virt_doctor.sources.live.client import KubeClient
        from virt_doctor.sources.live.connection import connect
        from virt_doctor.sources.live.prometheus_route import thanos_querier

        api = KubeClient(connect(kubeconfig, context))
        try:
            url, found = thanos_querier(api)
        finally:
            api.close()
        token = token or found
    return PrometheusClient(url, token, str(ca) if ca else None, insecure, timeout)


def parse_labels(items: list[str], flag: str = "--label") -> dict[str, str]:
    """`k=v` items as a label mapping; a malformed one is one clear error naming it."""
    parsed = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{flag} {item!r}: expected k=v")
        parsed[key.strip()] = value.strip()
    return parsed
def secret_file(path: Path) -> str:
    """A token (or user:password) kept in a file, stripped; an unreadable or empty file is one error naming it."""
    try:
        value = path.read_text().strip()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if not value:
        raise InputError(f"{path}: empty")
    return value


AllNamespaces = Annotated[bool, flag("--all-namespaces", "-A",
                                             help="Findings in every namespace (the default).")]



def stdout_console() -> Console:
    """Rich on a terminal (its width, or COLUMNS), plain text when piped (COLUMNS wide, else 160)."""
    columns = os.environ.get("COLUMNS", "")
    piped = None if sys.stdout.isatty() or columns.isdigit() else 160
    return Console(soft_wrap=False, highlight=False, width=piped)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)
