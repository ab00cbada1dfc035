"""Flags shared by commands, kubectl style (-o, -n, -A)."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console


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


Output = Annotated[ReportFormat, typer.Option("--output", "-o", help="Output format.")]
CatalogOutput = Annotated[CatalogFormat, typer.Option("--output", "-o", help="Output format.")]
Namespace = Annotated[str | None, typer.Option("--namespace", "-n",
                                               help="Only findings about objects in this namespace (live: list "
                                                    "namespaced kinds only there and where the stack runs).")]
Kubeconfig = Annotated[str | None, typer.Option("--kubeconfig", envvar="KUBECONFIG",
                                                help="Kubeconfig file (default: KUBECONFIG, else ~/.kube/config; "
                                                     "in a pod, its service account).", show_default=False)]
Context = Annotated[str | None, typer.Option("--context", help="Kubeconfig context (default: the current one).",
                                             show_default=False)]
Consistent = Annotated[bool, typer.Option("--consistent", help="Read from etcd (quorum, page by page) instead of "
                                          "the API server's watch cache: slower, never behind by a moment.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")]
AllNamespaces = Annotated[bool, typer.Option("--all-namespaces", "-A",
                                             help="Findings in every namespace (the default).")]


def stdout_console() -> Console:
    """Rich on a terminal, plain text when piped."""
    return Console(soft_wrap=False, highlight=False, width=None if sys.stdout.isatty() else 160)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)
