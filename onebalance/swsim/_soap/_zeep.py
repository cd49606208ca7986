"""A zeep service proxy for the package's WSDL: the escape hatch for raw SWSIM calls.

The SDK's own calls go through the compiled codec (``_schema``), which costs about half of
what zeep's generic encode/decode does per call. zeep is kept for callers who want the raw
operations: the parsed document is built once per process and shares the SDK's connection pool.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import requests

from onebalance.core import Timeout, check_endpoint, shared_session

from .._endpoints import versioned_endpoint
from ._schema import wsdl_bytes
from ._versions import ApiVersion, swsim_version

_lock = threading.Lock()


@functools.cache
def _document(version: str) -> Any:
    import io

    from zeep.settings import Settings
    from zeep.transports import Transport
    from zeep.wsdl import Document

    settings = Settings(strict=True, xml_huge_tree=False, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    # The document is in memory: the transport is never used to load anything.
    return Document(
        io.BytesIO(wsdl_bytes(version)),
        transport=Transport(session=shared_session()),  # type: ignore[arg-type]
        settings=settings,
    )


def zeep_service(
    endpoint: str,
    *,
    timeout: Timeout | None = None,
    session: requests.Session | None = None,
    api_version: ApiVersion | None = None,
) -> Any:
    """A zeep ``ServiceProxy`` for ``endpoint`` (``SwsimV135Soap``, or ``SwsimV111Soap`` with
    ``api_version="v111"``), with the SDK's session and timeouts.

    Each call needs its own ``Authenticator`` or ``Credentials``; prefer :class:`OneBalance`,
    which keeps the rolling conversation and maps faults to typed errors.
    """
    from zeep import Client
    from zeep.transports import Transport

    version = swsim_version(api_version)
    endpoint = versioned_endpoint(check_endpoint(endpoint), version)
    timeout = timeout or Timeout()
    transport = Transport(session=session or shared_session(), timeout=timeout.connect, operation_timeout=timeout.read)
    with _lock:
        document = _document(version.name)
    client = Client(document, transport=transport, settings=document.settings)
    return client.create_service(f"{{{version.namespace}}}{version.port}", endpoint)
