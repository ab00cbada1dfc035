"""`virt-doctor serve`: the Alertmanager receiver, incident store and dashboard, over a view of the cluster."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from virt_doctor.cli.errors import fail, handles_input_errors
from virt_doctor.cli.options import (
    Context,
    Kubeconfig,
    PrometheusToken,
    dump_from,
    flag,
    prometheus_client,
    prometheus_option,
    secret_file,
    stderr_console,
)
from virt_doctor.store.paths import DEFAULT_DB

if TYPE_CHECKING:
    from virt_doctor.serve.auth import WebhookAuth
from virt_doctor.timeutil import parse_duration


@handles_input_errors
def serve(
    source: Annotated[Path | None, dump_from("Serve a dump (read once) instead of the live cluster: for a "
                                                     "demo or a support case.")] = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    interval: Annotated[str, typer.Option("--interval", help="The rules run again on every change the watches "
                                          "see (debounced), and at least this often (e.g. 30s, 2m).")] = "60s",
    db: Annotated[str | None, typer.Option("--db", envvar="VIRT_DOCTOR_DB", help="The incident store: an SQLite "
                                           "file path, or postgresql://user@host/db (the password from the URL or "
                                           "PGPASSWORD). Default: the live cluster's in "
                                           f"{DEFAULT_DB}; with --from, a throw-away one (gone when it stops).",
                                           show_default=False)] = None,
    retention: Annotated[str, typer.Option("--retention", help="Forget resolved incidents and notifications "
                                           "older than this ('0' keeps everything).")] = "30d",
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="Port to listen on.")] = 8080,
    token_file: Annotated[Path | None, typer.Option("--webhook-token-file", help="A file holding the bearer token "
                                                    "Alertmanager must send (http_config.authorization).",
                                                    show_default=False)] = None,
    basic_auth_file: Annotated[Path | None, typer.Option("--webhook-basic-auth-file", help="A file holding "
                                                         "user:password Alertmanager must send (basic_auth).",
                                                         show_default=False)] = None,
    notify_url: Annotated[str | None, typer.Option("--notify-url", envvar="VIRT_DOCTOR_NOTIFY_URL",
                                                   help="A Slack-compatible incoming webhook: each newly "
                                                        "diagnosed incident is posted there.",
                                                   show_default=False)] = None,
    external_url: Annotated[str, typer.Option("--external-url", help="This service's URL as people reach it "
                                              "(for links in notifications).")] = "",
    prometheus: Annotated[str | None, prometheus_option("Prometheus URL, for the metric alerts ('auto' on "
                                                        "OpenShift: the thanos-querier route).")] = None,
    prometheus_token: PrometheusToken = None,
    max_body: Annotated[int, typer.Option("--max-body", min=1024, help="Largest notification accepted, in "
                                          "bytes (larger: 413).")] = 4 * 2**20,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn's log level.")] = "info",
    remediate_token_file: Annotated[Path | None, typer.Option("--remediate-token-file", help="A file holding the "
                                                              "token that lets the dashboard and API apply a "
                                                              "finding's actions (live only; off without it). The "
                                                              "service account then needs deploy's remediator role.",
                                                              rich_help_panel="Remediation",
                                                              show_default=False)] = None,
    fix_policy: Annotated[Path | None, typer.Option("--fix-policy", help="A YAML policy of actions that run by "
                                                    "themselves for chosen alerts (rules: [{alert, steps, "
                                                    "max_per_hour}]); off by default. Guarded and audited as "
                                                    "`fix` is.", rich_help_panel="Remediation",
                                                    show_default=False)] = None,
    mcp_token_file: Annotated[Path | None, typer.Option("--mcp-token-file", help="A file holding the bearer "
                                                        "token assistants must send to /mcp (the MCP tools over "
                                                        "this view). Without it /mcp is as open as the dashboard "
                                                        "and /api.", show_default=False)] = None,
    leader_elect: Annotated[bool, flag("--leader-elect", help="Run as one of several replicas sharing a "
                                               "PostgreSQL store: all serve webhooks and pages, the holder of a "
                                               "coordination.k8s.io Lease keeps virt-doctor's own incidents.",
                                               rich_help_panel="Several replicas")] = False,
    lease_namespace: Annotated[str | None, typer.Option("--leader-elect-resource-namespace", envvar="POD_NAMESPACE",
                                                        help="The Lease's namespace (default: the pod's own).",
                                                        rich_help_panel="Several replicas",
                                                        show_default=False)] = None,
    lease_name: Annotated[str, typer.Option("--leader-elect-resource-name", help="The Lease's name.",
                                            rich_help_panel="Several replicas")] = "virt-doctor",
    lease_duration: Annotated[str, typer.Option("--leader-elect-lease-duration", help="How long a Lease lasts "
                                                "unrenewed before another replica takes it over.",
                                                rich_help_panel="Several replicas")] = "15s",
    renew_deadline: Annotated[str, typer.Option("--leader-elect-renew-deadline", help="A holder that could not "
                                                "renew for this long stops acting as the leader.",
                                                rich_help_panel="Several replicas")] = "10s",
    retry_period: Annotated[str, typer.Option("--leader-elect-retry-period", help="How often replicas try to "
                                              "take or renew the Lease.", rich_help_panel="Several replicas")] = "2s",
) -> None:
    """Receive Alertmanager's notifications, diagnose each alert against a view of the cluster, keep them as
    incidents, and show it all on a dashboard (http://HOST:PORT/) with a JSON API (/api/v1/…, listed at /api).

    Point an Alertmanager webhook receiver at http://HOST:PORT/api/v1/alertmanager. The view is the live
    cluster, listed once then watched, or a dump with --from. /healthz, /readyz and /metrics are for Kubernetes
    and Prometheus. /mcp serves the same view to assistants (Model Context Protocol, streamable HTTP).
    """
    from virt_doctor.serve.auth import WebhookAuth
    from virt_doctor.serve.config import LeaderElection, ServeConfig, build, run
    from virt_doctor.serve.remediation import load_policy

    if (remediate_token_file or fix_policy) and source is not None:  # before their files are read
        raise fail("--remediate-token-file and --fix-policy act on the live cluster, not on --from")
    leader = LeaderElection(lease_namespace, lease_name, *(parse_duration(value).total_seconds() for value in (
        lease_duration, renew_deadline, retry_period))) if leader_elect else None
    config = ServeConfig(
        source=source, kubeconfig=kubeconfig, context=context, interval=parse_duration(interval).total_seconds(),
        db=db, retention=None if retention.strip() in ("0", "0s", "0d") else parse_duration(retention),
        host=host, port=port, auth=_auth(token_file, basic_auth_file),
        remediate=WebhookAuth(token=secret_file(remediate_token_file)) if remediate_token_file else WebhookAuth(),
        policy=load_policy(fix_policy) if fix_policy else (), policy_name=str(fix_policy or ""),
        notify_url=notify_url, external_url=external_url,
        prometheus=prometheus_client(prometheus, prometheus_token, dump=source, kubeconfig=kubeconfig,
                                     context=context), max_body=max_body,
        log_level=log_level, leader=leader, mcp_token=secret_file(mcp_token_file) if mcp_token_file else "")
    service, said = build(config)
    stderr_console().print(f"virt-doctor: {said}", markup=False)
    run(service, config)


def _auth(token_file: Path | None, basic_auth_file: Path | None) -> WebhookAuth:
    from virt_doctor.serve.auth import WebhookAuth

    if token_file and basic_auth_file:
        raise fail("give --webhook-token-file or --webhook-basic-auth-file, not both")
    token = os.environ.get("VIRT_DOCTOR_WEBHOOK_TOKEN", "")
    if token_file:
        token = secret_file(token_file)
    if basic_auth_file:
        user, sep, password = secret_file(basic_auth_file).partition(":")
        if not sep or not user:
            raise fail(f"{basic_auth_file}: expected user:password on one line")
        return WebhookAuth(username=user, password=password)
    return WebhookAuth(token=token)

