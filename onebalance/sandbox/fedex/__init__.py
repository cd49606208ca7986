"""A stateful simulator of FedEx's REST APIs (OAuth, Rate, Ship, Cancel, Track), for tests and demos.

>>> from onebalance.sandbox.fedex import FedexSandbox
>>> sandbox = FedexSandbox()
>>> creds = sandbox.create_account()       # or create_demo_account()
>>> with sandbox.mock() as url:          # in-process, through ``responses``
...     settings = creds.settings(url)
>>> with sandbox.serve() as server:      # a real HTTP server on 127.0.0.1
...     settings = creds.settings(server.url)

The layout follows moto, as the other sandboxes': state (``_state``), handlers and their table
(``_handlers``, with ``_tracking`` and ``_documents``), wire format (``_wire``), errors
(``_errors``), prices and transit (``_rates``, ``_transit``), and the sandbox with its control
API and its plug into the sandbox's one front (``_sandbox``).
"""

from .._front._control import CONTROL_PREFIX
from ._sandbox import (
    DEMO_ACCOUNT_NUMBER,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    IN_PROCESS_URL,
    FedexSandbox,
    FedexSandboxCredentials,
    FedexSandboxServer,
    Observer,
)
from ._wire import FedexReply

__all__ = [
    "CONTROL_PREFIX",
    "DEMO_ACCOUNT_NUMBER",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "IN_PROCESS_URL",
    "FedexReply",
    "FedexSandbox",
    "FedexSandboxCredentials",
    "FedexSandboxServer",
    "Observer",
]
