#!/usr/bin/env bash
# Set up (if needed), then lint, type-check, check the import layers and run the whole test suite.
# Extra arguments go to pytest (e.g. -m "not slow", -k orphaned).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff" && .venv/bin/ruff check src tests benchmarks
echo "== mypy" && .venv/bin/mypy
echo "== import layers" && .venv/bin/lint-imports --no-cache
echo "== pytest" && .venv/bin/pytest "$@"
