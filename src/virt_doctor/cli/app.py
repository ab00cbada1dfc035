"""The `virt-doctor` command."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import typer

from virt_doctor import __version__
from virt_doctor.cli.catalog_cmds import explain, list_alerts
from virt_doctor.cli.collect import collect
from virt_doctor.cli.diagnose import diagnose
from virt_doctor.cli.fix import fix
from virt_doctor.cli.mcp import mcp
from virt_doctor.cli.rules_cmd import rules
from virt_doctor.cli.scan import scan
from virt_doctor.cli.serve import serve
from virt_doctor.cli.simulate import simulate

app = typer.Typer(
    name="virt-doctor",
    help="Detect, diagnose and remedy OpenShift Virtualization / KubeVirt alerts, in a live cluster (the "
         "current kubeconfig context, read-only) or a must-gather dump. Every alert of the runbooks is in the "
         "catalog: see 'list' and 'explain'.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
COMMANDS: dict[str, Callable[..., None]] = {"scan": scan, "diagnose": diagnose, "collect": collect, "list": list_alerts, "explain": explain,
            "simulate": simulate, "rules": rules, "serve": serve, "fix": fix, "mcp": mcp}


def prose(doc: str | None) -> str:
    """A docstring as help text: each paragraph one line, since Typer keeps a later paragraph's line breaks and
    the terminal then wraps the source's lines a second time (ragged at 80 columns)."""
    return "\n\n".join(" ".join(p.split()) for p in inspect.cleandoc(doc or "").split("\n\n"))


for name, command in COMMANDS.items():
    app.command(name, help=prose(command.__doc__))(command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"virt-doctor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """virt-doctor: the KubeVirt alert runbooks as software."""


def main() -> None:
    app()


def kubectl_plugin() -> None:
    """`kubectl virt-doctor ...` and `oc virt-doctor ...`: kubectl finds this as kubectl-virt_doctor on PATH."""
    app(prog_name="kubectl virt-doctor")


if __name__ == "__main__":
    main()
