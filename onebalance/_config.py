"""Endpoints, timeouts and the checks applied to them before anything is sent."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ._errors import ConfigurationError

PRODUCTION_ENDPOINT = "https://swsim.stamps.com/swsim/swsimv111.asmx"
TESTING_ENDPOINT = "https://swsim.testing.stamps.com/swsim/swsimv111.asmx"

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_LOCAL_SUFFIXES = (".test", ".localhost")


@dataclass(frozen=True, slots=True)
class Timeout:
    """Seconds to wait: ``connect`` for the TCP/TLS connection, ``read`` between bytes of the answer."""

    connect: float = 5.0
    read: float = 30.0

    def __post_init__(self) -> None:
        for name in ("connect", "read"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value <= 0:
                raise ConfigurationError(f"timeout {name} must be a positive number of seconds")

    def as_tuple(self) -> tuple[float, float]:
        return (self.connect, self.read)


def is_local_host(host: str) -> bool:
    """Loopback addresses, ``localhost`` and reserved test domains: plain http is allowed there."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(_LOCAL_SUFFIXES):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(url: str) -> str:
    """Refuse endpoints that are not http(s) URLs, and plain http to anything not local."""
    if not isinstance(url, str) or not url:
        raise ConfigurationError("endpoint must be a URL such as " + TESTING_ENDPOINT)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError("endpoint must be an http(s) URL such as " + TESTING_ENDPOINT)
    if parts.username or parts.password:
        raise ConfigurationError("endpoint must not carry credentials in the URL")
    if parts.scheme == "http" and not is_local_host(parts.hostname):
        raise ConfigurationError(
            f"endpoint {parts.scheme}://{parts.hostname} must use https: only local endpoints may use plain http"
        )
    return url


def check_credentials(integration_id: str, username: str, password: str) -> None:
    if not isinstance(integration_id, str) or not _GUID.fullmatch(integration_id.strip()):
        raise ConfigurationError("integration_id must be the GUID the service assigned to the integration")
    if not isinstance(username, str) or not username.strip() or len(username) > 40:
        raise ConfigurationError("username must be 1 to 40 characters")
    if not isinstance(password, str) or not password:
        raise ConfigurationError("password must not be empty")
