"""A healthy simulated cluster assembled: nodes, KubeVirt's components, storage, the rest of the install
(operators.py) and the VMs (vms.py), consistent with each other."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from virt_doctor.simulator import objects as o
from virt_doctor.simulator.cluster import COMPONENTS, DEFAULT_AT, OS_MIX, Cluster, component_log, stop
from virt_doctor.simulator.operators import install, migrations
from virt_doctor.simulator.vms import build_vm


def build_cluster(nodes: int, vms: int, seed: int = 1, at: datetime = DEFAULT_AT,
                  install_ns: str = "openshift-cnv", masters: int = 3, stopped_ratio: float = 0.05) -> Cluster:
    """A healthy cluster of `nodes` workers (plus control-plane nodes) running `vms` VMs."""
    if nodes < 1:
        raise ValueError("a cluster needs at least one worker node")
    ids = o.Ids(random.Random(seed))
    born = at - timedelta(days=40)
    cluster = Cluster(at=at, install_ns=install_ns, ids=ids)
    cluster.masters = [o.node(ids, f"master-{i}", at, born, worker=False) for i in range(masters)]
    cluster.workers = [o.node(ids, f"worker-{i:03d}", at, born + timedelta(minutes=5)) for i in range(nodes)]
    worker_names = [w["metadata"]["name"] for w in cluster.workers]
    installed = born + timedelta(days=1)
    kv_name = "kubevirt-kubevirt-hyperconverged" if install_ns != "kubevirt" else "kubevirt"
    cluster.infra.append(o.kubevirt_cr(ids, install_ns, kv_name, installed, at))
    if install_ns != "kubevirt":
        cluster.infra.append(o.hyperconverged(ids, install_ns, installed))
    for index, (component, replicas) in enumerate(COMPONENTS):
        cluster.add_deployment(install_ns, component, replicas, f"{o.REGISTRY}/{component}:{o.KUBEVIRT_VERSION}",
                               installed, first_node=index)
    ds = o.virt_handler_daemonset(ids, install_ns, installed, len(worker_names))
    cluster.infra.append(ds)
    handler_image = f"{o.REGISTRY}/virt-handler:{o.KUBEVIRT_VERSION}"
    for node in worker_names:
        pod = o.running_pod(ids, f"virt-handler-{ids.suffix()}", install_ns, node, installed + timedelta(minutes=3),
                            {"kubevirt.io": "virt-handler", "prometheus.kubevirt.io": "true",
                             "controller-revision-hash": "7c9f8d6b5"},
                            [{"name": "virt-handler", "image": handler_image,
                              "resources": {"requests": {"cpu": "10m", "memory": "325Mi"}}}], owner=ds,
                            extra_spec={"hostPID": True, "serviceAccountName": "kubevirt-handler",
                                        "tolerations": ds["spec"]["template"]["spec"]["tolerations"]})
        cluster.handler_pods[node] = pod
        cluster.log(pod, "virt-handler", "current", component_log("virt-handler", at, [
            ("info", "Starting virt-handler"), ("info", "set verbosity to 2"),
            ("info", "Processing event default/vm-ping"), ("info", "heartbeat: node labelled schedulable")]))
    rbd = o.storage_class(ids, "ocs-storagecluster-ceph-rbd-virtualization", "openshift-storage.rbd.csi.ceph.com",
                          installed, default=False, virt_default=True,
                          parameters={"clusterID": "openshift-storage", "pool": "ocs-storagecluster-cephblockpool",
                                      "mounter": "rbd", "mapOptions": "krbd:rxbounce"})
    plain = o.storage_class(ids, "ocs-storagecluster-ceph-rbd", "openshift-storage.rbd.csi.ceph.com", installed,
                            default=True, parameters={"clusterID": "openshift-storage",
                                                      "pool": "ocs-storagecluster-cephblockpool"})
    cluster.infra += [rbd, plain, o.storage_profile(ids, rbd, installed), o.storage_profile(ids, plain, installed)]
    install(cluster, openshift=install_ns != "kubevirt", created=installed)
    namespaces = max(1, min(500, vms // 10))
    for i in range(vms):
        namespace = f"vms-{i % namespaces:03d}"
        os_name = OS_MIX[i % len(OS_MIX)]
        node = worker_names[i % len(worker_names)]
        created = at - timedelta(days=10, minutes=i % 1440)
        vmset = build_vm(ids, namespace, f"{os_name}-{i:05d}", os_name, node, created,
                         rbd["metadata"]["name"])
        if cluster.rng.random() < stopped_ratio:
            stop(vmset, at - timedelta(days=2))
        cluster.vms.append(vmset)
    migrations(cluster)
    return cluster
