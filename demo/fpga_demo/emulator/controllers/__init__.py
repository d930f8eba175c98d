"""The kube-controller-manager's controllers the emulated cluster needs.

Each one listens to the store the way the real controller watches the API:
garbage collection of dependents (`garbage_collector.py`), Endpoints for
Services (`endpoints.py`) and eviction of pods from NoExecute taints
(`taint_eviction.py`).
"""
