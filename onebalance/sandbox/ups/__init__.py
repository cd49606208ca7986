"""A stateful simulator of UPS's REST APIs (OAuth, Rating, Shipping, Void, Tracking).

>>> from onebalance.sandbox.ups import UpsSandbox
>>> sandbox = UpsSandbox()
>>> app = sandbox.create_demo_account()
>>> with sandbox.mock() as url:          # in-process, through ``responses``
...     settings = app.settings(url)
>>> with sandbox.serve() as server:      # a real HTTP server on 127.0.0.1
...     settings = app.settings(server.url)

One handler (``UpsSandbox.handle(method, target, headers, body)``) answers every request. See
:class:`UpsSandbox` for the control API, and ``POST /sandbox/control/<action>``
(:data:`CONTROL_PREFIX`) for the same over HTTP.
"""

from .._front._control import CONTROL_PREFIX
from ._sandbox import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_SHIPPER_NUMBER,
    IN_PROCESS_URL,
    UpsSandbox,
    UpsSandboxServer,
)
from ._state import UpsAccount, UpsShipment
from ._wire import UpsReply

__all__ = [
    "CONTROL_PREFIX",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_SHIPPER_NUMBER",
    "IN_PROCESS_URL",
    "UpsAccount",
    "UpsReply",
    "UpsSandbox",
    "UpsSandboxServer",
    "UpsShipment",
]
