#!/usr/bin/env bash
# Regenerate examples/broken-cluster: a simulated must-gather with eight faults, deterministic by seed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -rf examples/broken-cluster
.venv/bin/virt-doctor simulate --nodes 6 --vms 60 --seed 2026 --out examples/broken-cluster \
  --fault handler-crashloop --fault handler-taint \
  --fault vm-stuck-terminating --fault vm-image-pull-on-node --fault vm-kvm-unavailable \
  --fault vm-datavolume-import-failure --fault vm-insufficient-memory --fault vm-invalid-spec
