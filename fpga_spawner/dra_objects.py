"""The DRA objects a spawn writes to the cluster: its ResourceClaimTemplate, and its removal.

A thin adapter over kubernetes_asyncio's ``ResourceV1Api``, used the way
kubespawner uses ``CoreV1Api`` for a server's PVC and Secret: create before
the pod, each call bounded by ``k8s_api_request_timeout``, 404 on delete
meaning "already gone". Answers are not turned into client models
(``_preload_content=False``): nothing in them is needed. The manifest itself
comes from the pure :func:`fpga_spawner.dra.claim_template`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from kubernetes_asyncio.client import ResourceV1Api
from kubernetes_asyncio.client.rest import ApiException


class ClaimTemplateError(RuntimeError):
    """The template could not be written; the message is shown in the spawn's progress."""


async def _answered(call: Any, timeout: float) -> None:
    """Await a call made with ``_preload_content=False`` and read its answer to the end."""
    response = await asyncio.wait_for(call, timeout)
    await response.read()


def _why(e: ApiException) -> str:
    if e.status == 404:
        return "the cluster does not serve resource.k8s.io/v1 (Kubernetes 1.34 or newer is needed)"
    if e.status == 403:
        return "the hub's service account may not write resourceclaimtemplates (see docs/dra.md)"
    return f"the API server answered {e.status} {e.reason}"


async def write_claim_template(
    api_client: Any, manifest: Mapping[str, Any], timeout: float, log: logging.Logger
) -> None:
    """Create the server's template, replacing one a previous spawn left behind.

    A template's spec cannot be changed after creation, and the count or the
    board may differ from last time, so an old one is deleted first.
    """
    api = ResourceV1Api(api_client)
    meta = manifest["metadata"]
    name, namespace = meta["name"], meta["namespace"]
    try:
        await _answered(
            api.delete_namespaced_resource_claim_template(name, namespace, _preload_content=False),
            timeout,
        )
        log.info("Deleted the stale ResourceClaimTemplate %s/%s", namespace, name)
    except ApiException as e:
        if e.status != 404:
            raise ClaimTemplateError(f"ResourceClaimTemplate {name}: {_why(e)}") from None
    try:
        await _answered(
            api.create_namespaced_resource_claim_template(
                namespace, dict(manifest), _preload_content=False
            ),
            timeout,
        )
    except ApiException as e:
        raise ClaimTemplateError(f"ResourceClaimTemplate {name}: {_why(e)}") from None
    log.info("Created ResourceClaimTemplate %s/%s", namespace, name)


async def delete_claim_template(
    api_client: Any, namespace: str, name: str, timeout: float, log: logging.Logger
) -> None:
    """Remove the server's template (its claim goes with the pod that owns it)."""
    try:
        await _answered(
            ResourceV1Api(api_client).delete_namespaced_resource_claim_template(
                name, namespace, _preload_content=False
            ),
            timeout,
        )
        log.info("Deleted ResourceClaimTemplate %s/%s", namespace, name)
    except ApiException as e:
        if e.status != 404:
            log.warning(
                "Could not delete ResourceClaimTemplate %s/%s: %s", namespace, name, _why(e)
            )
