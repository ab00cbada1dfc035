"""Cluster Network Addons Operator, KubeMacPool and the cluster network."""
