"""The emulated kubelet."""
