"""The HyperConverged Cluster Operator and its operands."""
