"""A stateful simulator of UPS's REST APIs (OAuth, Rating, Shipping, Void, Tracking).

One handler (``UpsSandbox.handle(method, target, headers, body)``) answers every request; it is
mounted in-process through ``responses`` (``mock()`` / ``mount()``) or served over real HTTP on
127.0.0.1 (``serve()``). See :class:`UpsSandbox` for the control API, and ``POST /sandbox/control/<action>``
(:data:`CONTROL_PREFIX`) for the same over HTTP.
"""

from ._sandbox import CONTROL_PREFIX, IN_PROCESS_URL, UpsSandbox, UpsSandboxServer
from ._state import UpsAccount, UpsShipment
from ._wire import UpsReply

__all__ = [
    "CONTROL_PREFIX",
    "IN_PROCESS_URL",
    "UpsAccount",
    "UpsReply",
    "UpsSandbox",
    "UpsSandboxServer",
    "UpsShipment",
]
