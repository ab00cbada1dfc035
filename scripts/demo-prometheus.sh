#!/usr/bin/env bash
# Scan the shipped example with a real Prometheus: backfill its metric history (examples/broken-cluster/metrics.om)
# into a temporary TSDB with promtool, start Prometheus on 127.0.0.1, scan against it, stop it.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$work"' EXIT
promtool tsdb create-blocks-from openmetrics examples/broken-cluster/metrics.om "$work/tsdb" >/dev/null || exit 2
printf 'global:\n  scrape_interval: 1h\n' > "$work/prometheus.yml"
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" --storage.tsdb.retention.time=100y \
  --web.listen-address="127.0.0.1:$port" --log.level=warn >"$work/prometheus.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break
  sleep 0.2
done
.venv/bin/virt-doctor scan --from examples/broken-cluster --prometheus "http://127.0.0.1:$port" "$@"
status=$?
[ "$status" -le 1 ] && exit 0 || exit "$status"
