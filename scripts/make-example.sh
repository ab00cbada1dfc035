#!/usr/bin/env bash
# Regenerate examples/broken-cluster: a simulated two-image OpenShift Virtualization must-gather (the kubevirt
# image and the default OpenShift one, laid out as their gatherers write them) with a fault in every
# area the runbooks cover (virt-handler, stuck VMs, control plane, storage, network, HCO, workloads), and its
# metric history (metrics.om) for scripts/demo-prometheus.sh.
# Deterministic by seed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -rf examples/broken-cluster
.venv/bin/virt-doctor simulate --nodes 6 --vms 60 --seed 2026 --metrics --openshift-image 4.18.3 \
  --out examples/broken-cluster \
  --fault handler-crashloop --fault handler-taint \
  --fault vm-stuck-terminating --fault vm-image-pull-on-node --fault vm-kvm-unavailable \
  --fault vm-datavolume-import-failure --fault vm-insufficient-memory --fault vm-invalid-spec \
  --fault component-crashloop:cdi-operator --fault vm-missing-secret --fault cron-import-failing \
  --fault multiple-default-virt-sc --fault storage-profile-incomplete --fault duplicate-mac \
  --fault hco-jsonpatch --fault vmi-rwo-disk --fault windows-rbd-no-rxbounce \
  --fault rest-errors:virt-controller --fault component-memory:virt-api --fault ssp-rejected-vms
