"""How the simulated SWSIM service plugs into the front: its paths, its control actions, its server.

Each SWSIM version answers at the path the real service uses for it (``SOAP_PATHS``: v111 at
``/swsim/swsimv111.asmx``, v135 at ``/swsim/swsimv135.asmx``), each with its own WSDL at
``<path>?wsdl``, all over the same state; the sandbox's web pages (GetURL's answers, see
``_pages``) and the control API are under ``/sandbox/``. Mounted in-process at a URL that is no
version's path, the default version answers at that URL. SOAP calls go through the sandbox's
fault injection (``sandbox.faults``), named by the operation their SOAPAction names.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import urlsplit

from onebalance.swsim import DEFAULT_VERSION, VERSIONS, SwsimVersion

from .._front._chaos import Answer, Faults
from .._front._control import Controls
from .._front._server import FrontServer
from .._front._service import Request, respond
from ._dispatch import Dispatcher, Reply
from ._urls import PAGES_PREFIX, site

__all__ = ["ACTIONS", "SOAP_PATH", "SOAP_PATHS", "SandboxServer", "SwsimService", "endpoints"]

#: The SOAP path of each version (lower case), and the default version's (v135).
SOAP_PATHS: dict[str, str] = {name: version.path for name, version in VERSIONS.items()}
SOAP_PATH = DEFAULT_VERSION.path
_VERSION_PATH = re.compile(r"/swsim/swsim(v\d+)\.asmx$", re.IGNORECASE)
_TEXT = {"Content-Type": "text/plain"}

#: The control actions: the :class:`Sandbox` methods of these names, arguments passed by name.
ACTIONS = (
    "create_account", "create_demo_account", "set_balance", "set_status", "set_password", "set_capability",
    "place_hold", "lift_hold", "decline_payment_method", "expire_password", "set_terms_accepted", "lock",
    "unlock", "set_codewords", "verify_phone", "advance_clock", "verification_code", "temporary_password",
    "messages", "account", "add_integration",
    # postage
    "print_postage", "refund", "adjust", "credit", "ledger", "charges", "check_ledger", "set_mailstation",
    "add_funding_account", "set_next_purchase_outcome", "set_cost_codes", "set_monthly_limit", "set_auto_buy",
    # labels
    "set_label_surcharge", "approve_refunds", "labels", "label",
    # carrier pickups
    "set_pickup_service", "pickup_zips_without_service", "pickups",
    # the end of the day
    "scan_forms",
)  # fmt: skip


@lru_cache(maxsize=64)
def endpoints(url: str) -> dict[str, str]:
    """Where each version answers when the sandbox is mounted at ``url`` (see ``Sandbox.mount``)."""
    found = _VERSION_PATH.search(url)
    if found is None or found.group(1).lower() not in VERSIONS:
        return {DEFAULT_VERSION.name: url}
    base = url[: found.start()]
    return {name: base + path for name, path in SOAP_PATHS.items()}


def _version_at(request: Request) -> str | None:
    """The version whose endpoint the request came in on (paths compared without case)."""
    path = request.path.lower()
    for name, url in endpoints(request.url).items():
        if (urlsplit(url).path or "/").lower() == path:
            return name
    return None


def to_json(action: str, value: Any) -> Any:
    """A control method's result as JSON: models and dataclasses as objects, dates in ISO 8601."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [to_json(action, v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: to_json(action, getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def soap_operation(soap_action: str | None) -> str | None:
    """The SWSIM operation a SOAPAction names (its last path segment), or None."""
    if not soap_action:
        return None
    name = soap_action.strip().strip('"').rsplit("/", 1)[-1]
    return name or None


class Sandbox(Protocol):
    """What the service needs of :class:`onebalance.sandbox.Sandbox`."""

    faults: Faults
    dispatchers: dict[str, Dispatcher]

    def handle(
        self, body: bytes, soap_action: str | None, *, api_version: str | SwsimVersion | None = None
    ) -> Reply: ...

    def page(self, method: str, target: str, body: bytes = b"") -> Reply: ...

    def wsdl(self, url: str | None = None, *, api_version: str | SwsimVersion | None = None) -> bytes: ...


class SwsimService:
    """The front's view of a :class:`Sandbox`."""

    name = "onebalance"
    max_body = 8 * 1024 * 1024

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.faults = sandbox.faults
        self.controls = Controls("onebalance", sandbox, ACTIONS, to_json)

    def served_url(self, base: str) -> str:
        return base + SOAP_PATH

    def bind(self, url: str) -> str:
        for name, endpoint in endpoints(url).items():
            self.sandbox.dispatchers[name].actor = endpoint
        return site(url)

    def operation(self, request: Request) -> str | None:
        if request.method != "POST" or _version_at(request) is None:
            return None
        return soap_operation(request.headers.get("SOAPAction"))

    def handle(self, request: Request) -> Answer:
        return respond(self, request)

    def respond(self, request: Request) -> Answer:
        version = _version_at(request)
        if request.method == "GET" and version is not None and urlsplit(request.target).query.lower() == "wsdl":
            wsdl = self.sandbox.wsdl(endpoints(request.url)[version], api_version=version)
            return 200, {"Content-Type": "text/xml; charset=utf-8"}, wsdl
        if request.method == "POST" and version is not None:
            reply = self.sandbox.handle(request.body, request.headers.get("SOAPAction"), api_version=version)
        elif request.method in ("GET", "POST") and request.path.startswith(PAGES_PREFIX):
            reply = self.sandbox.page(request.method, request.target, request.body)
        elif request.method in ("GET", "POST"):
            return 404, _TEXT, b"not found"
        else:
            return 501, _TEXT, b"unsupported method"
        return reply.status, {"Content-Type": reply.content_type}, reply.body

    def refusal(self, status: int, message: str) -> tuple[dict[str, str], bytes]:
        return {"Content-Type": "text/plain; charset=utf-8"}, message.encode()


class SandboxServer(FrontServer):
    """A running sandbox server. ``url`` is the default version's (v135) SOAP endpoint and ``wsdl_url``
    its WSDL; ``urls`` has every version's endpoint (``urls["v111"]``), each serving its WSDL at ``?wsdl``.

    ``request_timeout``: seconds a connection has to deliver each whole request (see ``_front._http``).
    """

    @property
    def urls(self) -> dict[str, str]:
        return dict(endpoints(self.url))

    @property
    def wsdl_url(self) -> str:
        return self.url + "?wsdl"
