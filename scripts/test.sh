#!/usr/bin/env bash
# Set up (if needed), then lint, type-check, check the import layers and run the tests.
#   bash scripts/test.sh           the whole suite (what .ci/run calls): every test, real servers included (the
#                                  quick tier, then the real tier, each on both cores)
#   bash scripts/test.sh --quick   the quick tier: every test that starts no real server (marker `real` off),
#                                  on both cores; a test that starts one anyway fails, naming the marker
# Extra arguments go to pytest (e.g. -m "not slow", -k orphaned).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
bash scripts/setup.sh
echo "== ruff" && .venv/bin/ruff check src tests benchmarks scripts
echo "== mypy" && .venv/bin/mypy
echo "== import layers" && .venv/bin/lint-imports --no-cache
if [ "$quick" = 1 ]; then
  echo "== pytest (quick tier: no real servers)"
  VIRT_DOCTOR_TEST_TIER=quick exec .venv/bin/pytest -m "not real" -n 2 "$@"
fi
if [ "$#" -gt 0 ]; then
  echo "== pytest" && exec .venv/bin/pytest "$@"
fi
# the whole suite in two parts, both always run: the tests that start no server, then those that start real ones
# (kube-apiserver, PostgreSQL, Prometheus, Alertmanager, Chromium: one set per worker), each on both cores
status=0
echo "== pytest, quick tier (no real servers, both cores)"
VIRT_DOCTOR_TEST_TIER=quick .venv/bin/pytest -m "not real" -n 2 || status=$?
echo "== pytest, real tier (real servers, both cores)"
.venv/bin/pytest -m real -n 2 || status=$?
exit "$status"
