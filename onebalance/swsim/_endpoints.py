"""The One Balance endpoints (per SWSIM version) and the check of an integration's credentials."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from onebalance.core import ConfigurationError, register_secret

from ._soap._versions import DEFAULT_VERSION, VERSIONS, SwsimVersion

#: The real service's endpoints for the default version (v135). A client of another version
#: given one of them uses its own version's path (see :func:`versioned_endpoint`).
PRODUCTION_ENDPOINT = DEFAULT_VERSION.production_endpoint
TESTING_ENDPOINT = DEFAULT_VERSION.testing_endpoint

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


_VERSION_PATH = re.compile(r"/swsim/swsim(v\d+)\.asmx$", re.IGNORECASE)


def versioned_endpoint(url: str, version: SwsimVersion) -> str:
    """``url`` with its path set to ``version``'s when it ends with another known version's path.

    The real service (and the sandbox) answer each version at its own path
    (``/swsim/swsimv111.asmx``, ``/swsim/swsimv135.asmx``), so an endpoint follows the client's
    version: ``TESTING_ENDPOINT`` with ``api_version="v111"`` is the v111 testing endpoint. Any
    other URL is used as it is.
    """
    parts = urlsplit(url)
    found = _VERSION_PATH.search(parts.path)
    if found is None or found.group(1).lower() not in VERSIONS or found.group(1).lower() == version.name:
        return url
    return urlunsplit(parts._replace(path=parts.path[: found.start()] + version.path))


def check_credentials(integration_id: str, username: str, password: str) -> None:
    if not isinstance(integration_id, str) or not _GUID.fullmatch(integration_id.strip()):
        raise ConfigurationError("integration_id must be the GUID the service assigned to the integration")
    if not isinstance(username, str) or not username.strip() or len(username) > 40:
        raise ConfigurationError("username must be 1 to 40 characters")
    if not isinstance(password, str) or not password:
        raise ConfigurationError("password must not be empty")
    register_secret(password)
