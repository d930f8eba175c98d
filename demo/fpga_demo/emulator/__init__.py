"""A Kubernetes API emulator for tests and the demo (EMULATED: not a real cluster).

Serves the core/v1 API over real HTTP to the unmodified kubernetes_asyncio
client (and so to kubespawner), with an emulated scheduler, kubelet (pods are
local processes on their own loopback IPs) and cluster-autoscaler.
FPGASpawner never imports this package; only tests and the demo do.
"""

from .cluster import EmulatedCluster, ThreadedCluster, node_manifest, run_in_thread
from .config import ClusterConfigError, ClusterSpec, load_cluster_file, parse_cluster
from .kubeconfig import client_configuration, use_in_this_process, write_kubeconfig

__all__ = [
    "ClusterConfigError",
    "ClusterSpec",
    "EmulatedCluster",
    "ThreadedCluster",
    "client_configuration",
    "load_cluster_file",
    "node_manifest",
    "parse_cluster",
    "run_in_thread",
    "use_in_this_process",
    "write_kubeconfig",
]
