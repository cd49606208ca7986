"""A stateful simulator of the One Balance (SWSIM v111) service, for tests and demos.

>>> from onebalance.sandbox import Sandbox
>>> sandbox = Sandbox()
>>> creds = sandbox.create_demo_account()
>>> with sandbox.mock() as url:          # in-process, through ``responses``
...     ...
>>> with sandbox.serve() as server:      # a real HTTP server on 127.0.0.1
...     server.url

The UPS and FedEx sandboxes (``onebalance.sandbox.ups``, ``onebalance.sandbox.fedex``) speak the
same words (``create_account``, ``create_demo_account``, ``advance_clock``); sandboxes mocked at the
same time share one ``responses`` mock (``mock_all(sandbox, ups, fedex)`` mounts them together).

Codes, temporary passwords and emails the service would send land in ``sandbox.outbox``.
Every movement of a balance is in ``sandbox.ledger(username)`` (``check_ledger`` checks it).
Transport faults (resets, timeouts, 5xx, truncated bodies...) are injected through ``sandbox.faults``.
"""

from ._front._chaos import KINDS as FAULT_KINDS
from ._front._chaos import Faults, FiredFault
from ._front._control import SandboxControl
from ._front._http import REQUEST_TIMEOUT
from ._front._mock import mock_all
from ._shared._clock import Clock
from .swsim._account_models import (
    DEMO_INTEGRATION_ID,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    AccountStatus,
    AutoBuy,
    Charge,
    Codewords,
    CostCode,
    Hold,
    Label,
    LedgerEntry,
    PaymentMethod,
    SandboxMessage,
)
from .swsim._dispatch import Reply, WireObserver
from .swsim._payments import DECLINED_TEST_CARD
from .swsim._sandbox import IN_PROCESS_URL, Sandbox, SandboxCredentials
from .swsim._service import SOAP_PATH, SandboxServer
from .swsim._state import SandboxAccount

__all__ = [
    "DECLINED_TEST_CARD",
    "DEMO_INTEGRATION_ID",
    "DEMO_PASSWORD",
    "DEMO_USERNAME",
    "FAULT_KINDS",
    "IN_PROCESS_URL",
    "REQUEST_TIMEOUT",
    "SOAP_PATH",
    "AccountStatus",
    "AutoBuy",
    "Charge",
    "Clock",
    "Codewords",
    "CostCode",
    "Faults",
    "FiredFault",
    "Hold",
    "Label",
    "LedgerEntry",
    "PaymentMethod",
    "Reply",
    "Sandbox",
    "SandboxAccount",
    "SandboxControl",
    "SandboxCredentials",
    "SandboxMessage",
    "SandboxServer",
    "WireObserver",
    "mock_all",
]
