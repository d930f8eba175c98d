"""The emulated scheduler."""
