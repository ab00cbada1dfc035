"""Operator custom resources and their operands: CDI/HPP/CNAO/SSP/HCO conditions, leases, JSON patches, MACs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

import orjson

from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.faults.mutations import crash, only_object
from virt_doctor.simulator.faults.registry import fault, noted
from virt_doctor.simulator.faults.targets import pick_vm
from virt_doctor.simulator.metrics import after, constant
from virt_doctor.simulator.objects import condition, golden_image, meta, ts

Obj = dict[str, Any]



def _degrade(cr: Obj, since: datetime, message: str) -> None:
    cr["status"]["conditions"] = [
        condition("Available", "False", since, "Failed", message, heartbeat=since),
        condition("Progressing", "False", since, "Failed", message, heartbeat=since),
        condition("Degraded", "True", since, "Failed", message, heartbeat=since)]


class OperandFaults(NamedTuple):
    """An operator CR that reports readiness (CDI, HPP): its two ways to be not ready, as two faults."""

    prefix: str  # the faults are <prefix>-not-ready and <prefix>-cr-degraded
    kind: str
    alert: str
    short: str  # what the notes call it
    workload: str  # the component whose pods crash-loop
    unavailable: str  # the CR's message while that component is down
    crash_line: str  # what its pods log before they exit
    degraded: str  # the CR's message when it fails on its own


OPERAND_FAULTS = (
    OperandFaults("cdi", "CDI", "CDINotReady", "CDI", "cdi-deployment", "Deployment cdi-deployment is not available",
                  "failed to create the uploadproxy certificate",
                  "Reconcile failed: admission webhook configuration could not be updated"),
    OperandFaults("hpp", "HostPathProvisioner", "HPPNotReady", "HPP", "hostpath-provisioner-csi",
                  "DaemonSet hostpath-provisioner-csi is not ready",
                  "storage pool local: mount /var/hpvolumes: no such device",
                  "storage pool local: the PVC template's storage class does not exist"),
)


def _register_operand_faults(row: OperandFaults) -> None:
    not_ready, degraded = f"{row.prefix}-not-ready", f"{row.prefix}-cr-degraded"

    @fault(not_ready, row.alert, "pod-crash-looping",
           f"{row.workload} crash-loops and the {row.short} CR reports itself degraded")
    def crash_loops(cluster: Cluster, since: datetime) -> None:
        cr = only_object(cluster, row.kind)
        _degrade(cr, since, row.unavailable)
        for pod in cluster.component_pods[row.workload]:
            crash(cluster, pod, since, [("error", row.crash_line)])
        cluster.note(not_ready, row.alert, "pod-crash-looping", cr, f"{row.workload} crash-looping")

    @fault(degraded, row.alert, "cr-degraded", f"the {row.short} CR reports itself degraded while its pods run")
    def degrade(cluster: Cluster, since: datetime) -> None:
        cr = only_object(cluster, row.kind)
        _degrade(cr, since, row.degraded)
        cluster.note(degraded, row.alert, "cr-degraded", cr, f"{row.short} CR degraded")


for _row in OPERAND_FAULTS:
    _register_operand_faults(_row)


@fault("hpp-shared-path", "HPPSharingPoolPathWithOS", "pool-on-root-filesystem",
       "an HPP storage pool path sits on a node's root filesystem")
def hpp_shared_path(cluster: Cluster, since: datetime) -> None:
    pod = cluster.component_pods["hostpath-provisioner-csi"][0]
    key = (pod["metadata"]["namespace"], pod["metadata"]["name"], "hostpath-provisioner")
    cluster.logs[key]["current"].append(
        f"I{since:%m%d %H:%M:%S}.000000       1 utils.go:135] pool (local, /var/hpvolumes/csi), shares path with OS "
        "which can lead to node disk pressure")

    def apply(history: Any) -> None:
        history.family("kubevirt_hpp_pool_path_shared_with_os", "gauge").add(
            {"namespace": key[0], "pod": key[1]}, after(since, constant(0), constant(1)))
    cluster.metric_faults.append(apply)
    noted(cluster, "hpp-shared-path", pod, f"pool local on {pod['spec']['nodeName']} shares the OS filesystem")


@fault("nac-not-ready", "NetworkAddonsConfigNotReady", "pod-crash-looping",
       "the bridge-marker DaemonSet of CNAO crash-loops, so the NetworkAddonsConfig is not Available")
def nac_not_ready(cluster: Cluster, since: datetime) -> None:
    nac = only_object(cluster, "NetworkAddonsConfig")
    ns = cluster.install_ns
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet",
          "metadata": meta(cluster.ids, "bridge-marker", ns, since - timedelta(days=3), {"app": "bridge-marker"}),
          "spec": {"selector": {"matchLabels": {"name": "bridge-marker"}},
                   "template": {"metadata": {"labels": {"name": "bridge-marker"}},
                                "spec": {"containers": [{"name": "bridge-marker",
                                                         "image": "quay.io/kubevirt/bridge-marker:0.10.1"}]}}},
          "status": {"desiredNumberScheduled": len(cluster.workers), "numberReady": 0,
                     "numberAvailable": 0, "currentNumberScheduled": len(cluster.workers)}}
    cluster.infra.append(ds)
    from virt_doctor.simulator.objects import running_pod

    pods = []
    for worker in cluster.worker_names():
        pod = running_pod(cluster.ids, f"bridge-marker-{cluster.ids.suffix()}", ns, worker, since - timedelta(days=3),
                          {"name": "bridge-marker"}, [{"name": "bridge-marker",
                                                       "image": "quay.io/kubevirt/bridge-marker:0.10.1"}], owner=ds)
        crash(cluster, pod, since, [("fatal", "failed to list node interfaces: netlink: operation not permitted")])
        pods.append(pod)
    cluster.component_pods["bridge-marker"] = pods
    message = f'DaemonSet "{ns}/bridge-marker" is not available (awaiting {len(pods)} nodes)'
    nac["status"]["conditions"] = [
        condition("Available", "False", since, "Failed", message, heartbeat=cluster.at),
        condition("Progressing", "True", since, "Deploying", message, heartbeat=cluster.at),
        condition("Degraded", "False", since, heartbeat=cluster.at)]
    noted(cluster, "nac-not-ready", nac, "bridge-marker failing")


@fault("operator-lease-stale", "NoLeadingVirtOperator", "lease-held-by-missing-pod",
       "a leader Lease (virt-operator's, or LEASE's) names a pod that no longer exists", param="LEASE",
       default="virt-operator")
def operator_lease_stale(cluster: Cluster, since: datetime, name: str) -> None:
    lease = cluster.find("Lease", name)
    gone = f"{name}-6f7b9c5d4-gone1"
    lease["spec"]["holderIdentity"] = gone
    lease["spec"]["renewTime"] = since.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    noted(cluster, "operator-lease-stale", lease, f"Lease held by {gone}")


@fault("operator-lease-expired", "NoLeadingVirtOperator", "lease-expired",
       "a leader Lease (virt-operator's, or LEASE's) expired and no pod renewed it", param="LEASE",
       default="virt-operator")
def operator_lease_expired(cluster: Cluster, since: datetime, name: str) -> None:
    lease = cluster.find("Lease", name)
    lease["spec"]["renewTime"] = since.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    noted(cluster, "operator-lease-expired", lease, "Lease not renewed")


@fault("hco-cr-removed", "HCOInstallationIncomplete", "uninstall-incomplete",
       "the HyperConverged CR was deleted but the operator (and the operands) stayed")
def hco_cr_removed(cluster: Cluster, since: datetime) -> None:
    hco = only_object(cluster, "HyperConverged")
    cluster.infra.remove(hco)
    noted(cluster, "hco-cr-removed", cluster.find("Deployment", "hco-operator"), "HyperConverged CR deleted")


@fault("hco-jsonpatch", "UnsupportedHCOModification", "jsonpatch-annotation",
       "a JSON Patch annotation on the HyperConverged CR changes the KubeVirt CR")
def hco_jsonpatch(cluster: Cluster, since: datetime) -> None:
    hco = only_object(cluster, "HyperConverged")
    patch = [{"op": "add", "path": "/spec/configuration/developerConfiguration/featureGates/-",
              "value": "CPUManager"}]
    hco["metadata"].setdefault("annotations", {})["kubevirt.kubevirt.io/jsonpatch"] = orjson.dumps(patch).decode()
    noted(cluster, "hco-jsonpatch", hco, "kubevirt.kubevirt.io/jsonpatch adds a feature gate")


@fault("kubevirt-cr-edited", "KubeVirtCRModified", "operand-edited",
       "someone edited the KubeVirt CR directly (migration limits) instead of the HyperConverged CR")
def kubevirt_cr_edited(cluster: Cluster, since: datetime) -> None:
    kubevirt = only_object(cluster, "KubeVirt")
    kubevirt["spec"]["configuration"]["migrations"]["parallelMigrationsPerCluster"] = 20
    component = f"kubevirt/{kubevirt['metadata']['name']}"

    def apply(history: Any) -> None:  # HCO counts the edit (and reverts it, again and again)
        history.family("kubevirt_hco_out_of_band_modifications", "counter").add(
            {"component_name": component}, after(since, constant(0.0), constant(1 / 120)))
    cluster.metric_faults.append(apply)
    noted(cluster, "kubevirt-cr-edited", kubevirt, "parallelMigrationsPerCluster 20 (HCO asks for 5)")


@fault("ipv6-single-stack", "SingleStackIPv6Unsupported", "ipv6-single-stack",
       "the cluster network is IPv6 only")
def ipv6_single_stack(cluster: Cluster, since: datetime) -> None:
    network = only_object(cluster, "Network")
    for part in (network["spec"], network["status"]):
        part["clusterNetwork"] = [{"cidr": "fd01::/48", "hostPrefix": 64}]
        part["serviceNetwork"] = ["fd02::/112"]
    noted(cluster, "ipv6-single-stack", network, "IPv6-only network")


@fault("duplicate-mac", "KubeMacPoolDuplicateMacsFound", "duplicate-mac",
       "two VMs were created with the same static MAC address")
def duplicate_mac(cluster: Cluster, since: datetime) -> None:
    first, second = pick_vm(cluster), None
    cluster.note("duplicate-mac", "", "", first.vm, "first holder")
    second = pick_vm(cluster)
    mac = first.vm["spec"]["template"]["spec"]["domain"]["devices"]["interfaces"][0]["macAddress"]
    second.vm["spec"]["template"]["spec"]["domain"]["devices"]["interfaces"][0]["macAddress"] = mac
    cluster.injected.pop()
    keys = sorted([first.key, second.key])
    noted(cluster, "duplicate-mac", "VirtualMachine", f"{mac} on {keys[0][1]} and {keys[1][1]}", keys[0][0], keys[0][1])


@fault("nac-component-missing", "NetworkAddonsConfigNotReady", "component-not-ready",
       "the NetworkAddonsConfig waits for a DaemonSet that was deleted")
def nac_component_missing(cluster: Cluster, since: datetime) -> None:
    nac = only_object(cluster, "NetworkAddonsConfig")
    message = f'DaemonSet "{cluster.install_ns}/ovs-cni-amd64" is not available (awaiting 3 nodes)'
    nac["status"]["conditions"] = [
        condition("Available", "False", since, "Failed", message, heartbeat=cluster.at),
        condition("Progressing", "True", since, "Deploying", message, heartbeat=cluster.at),
        condition("Degraded", "False", since, heartbeat=cluster.at)]
    noted(cluster, "nac-component-missing", nac, "DaemonSet ovs-cni-amd64 missing")


@fault("hco-never-created", "HCOInstallationIncomplete", "cr-never-created",
       "the HCO operator was installed but no HyperConverged CR (and so no operand) was ever created")
def hco_never_created(cluster: Cluster, since: datetime) -> None:
    operands = ("HyperConverged", "KubeVirt", "CDI", "NetworkAddonsConfig", "SSP", "HostPathProvisioner")
    cluster.infra = [o for o in cluster.infra if o["kind"] not in operands]
    noted(cluster, "hco-never-created", cluster.find("Deployment", "hco-operator"), "no HyperConverged CR, no operands")


@fault("hco-operand-degraded", "HCOOperatorConditionsUnhealthy", "operand-not-available",
       "the CDI CR is degraded, so HCO reports itself not available: system health error")
def hco_operand_degraded(cluster: Cluster, since: datetime) -> None:
    cdi = only_object(cluster, "CDI")
    message = "CDI is not available: the cdi-deployment Deployment is not ready"
    _set_conditions(cdi, since, {"Available": ("False", "DeploymentNotReady"), "Degraded": ("True", "DeploymentNotReady")},
                    message)
    _hco_health(cluster, "hco-operand-degraded", since, "error", message,
                {"Available": ("False", "CDINotAvailable"), "Degraded": ("True", "CDIDegraded")})


@fault("hco-reconciling", "HCOOperatorConditionsUnhealthy", "reconcile-in-progress",
       "an HCO upgrade is rolling out and has not completed: system health warning")
def hco_reconciling(cluster: Cluster, since: datetime) -> None:
    _hco_health(cluster, "hco-reconciling", since, "warning", "HCO is now upgrading to version 1.15.0",
                {"ReconcileComplete": ("False", "ReconcileInProgress"), "Progressing": ("True", "HCOUpgrading")})


def _hco_health(cluster: Cluster, fault_name: str, since: datetime, health: str, message: str,
                changes: dict[str, tuple[str, str]]) -> None:
    """HCO's conditions changed as given, and the system health it computes from them."""
    hco = only_object(cluster, "HyperConverged")
    _set_conditions(hco, since, changes, message)
    hco["status"]["systemHealthStatus"] = health
    noted(cluster, fault_name, hco, f"HCO health {health}: {message}")


def _set_conditions(obj: Obj, since: datetime, changes: dict[str, tuple[str, str]], message: str) -> None:
    """Set the named status conditions (status, reason) from `since`, with one message."""
    for cond in obj["status"].get("conditions") or []:
        if cond["type"] in changes:
            status, reason = changes[cond["type"]]
            cond.update(status=status, reason=reason, message=message, lastTransitionTime=ts(since))


MULTI_ARCH = "enableMultiArchBootImageImport"


def _multi_arch_on(hco: Obj, since: datetime, arches: str) -> None:
    """Multi-arch boot images on: HCO then states each golden image's architectures and whether it is deployed."""
    hco["spec"].setdefault("featureGates", {})[MULTI_ARCH] = True
    for template in hco["status"]["dataImportCronTemplates"]:
        template["status"].update(originalSupportedArchitectures=arches, conditions=[
            condition("Deployed", "True", since, "Deployed", "DataImportCronTemplate was deployed")])


@fault("multi-arch-nodes", "HCOMultiArchGoldenImagesDisabled", "feature-disabled",
       "an arm64 worker joins the amd64 ones, and multi-arch boot images stay off")
def multi_arch_nodes(cluster: Cluster, since: datetime) -> None:
    worker = cluster.workers[-1]
    worker["metadata"]["labels"].update({"kubernetes.io/arch": "arm64", "beta.kubernetes.io/arch": "arm64"})
    worker["status"]["nodeInfo"]["architecture"] = "arm64"
    hco = only_object(cluster, "HyperConverged")
    noted(cluster, "multi-arch-nodes", hco, f"{worker['metadata']['name']} is arm64")


@fault("golden-image-no-arch", "HCOGoldenImageWithNoArchitectureAnnotation", "custom-template-without-annotation",
       "multi-arch boot images are on, and a custom golden image does not say which architectures it supports")
def golden_image_no_arch(cluster: Cluster, since: datetime) -> None:
    hco = only_object(cluster, "HyperConverged")
    _multi_arch_on(hco, since, "amd64,arm64,s390x")
    hco["status"]["dataImportCronTemplates"].append(golden_image("custom-rhel-image-cron", "custom-rhel", custom=True))
    noted(cluster, "golden-image-no-arch", hco, "custom-rhel-image-cron has no architectures")


@fault("golden-image-unsupported-arch", "HCOGoldenImageWithNoSupportedArchitecture", "no-node-of-its-architectures",
       "multi-arch boot images are on, and a custom golden image is built for s390x only, which no node has")
def golden_image_unsupported_arch(cluster: Cluster, since: datetime) -> None:
    hco = only_object(cluster, "HyperConverged")
    _multi_arch_on(hco, since, "amd64,arm64,s390x")
    custom = golden_image("custom-mainframe-image-cron", "custom-mainframe", custom=True)
    custom["metadata"]["annotations"] = {"ssp.kubevirt.io/dict.architectures": "s390x"}
    custom["status"].update(originalSupportedArchitectures="s390x", conditions=[condition(
        "Deployed", "False", since, "UnsupportedArchitectures",
        "DataImportCronTemplate has no supported architectures for the current cluster")])
    hco["status"]["dataImportCronTemplates"].append(custom)
    noted(cluster, "golden-image-unsupported-arch", hco, "custom-mainframe-image-cron is s390x only")


@fault("hco-self-degraded", "HCOOperatorConditionsUnhealthy", "hco-degraded",
       "HCO fails to reconcile a secondary resource and reports itself degraded; every operand is healthy")
def hco_self_degraded(cluster: Cluster, since: datetime) -> None:
    _hco_health(cluster, "hco-self-degraded", since, "error",
                'failed to update ConfigMap "kubevirt-storage-class-defaults": admission webhook denied the request',
                {"Degraded": ("True", "ReconcileFailed")})
