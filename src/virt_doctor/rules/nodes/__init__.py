"""Nodes able to run VMs: KVM, schedulability."""
