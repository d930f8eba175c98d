"""The emulated apiserver."""
