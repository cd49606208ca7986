"""How a fault due is injected into one call, in-process (a ``responses`` callback) or over HTTP
(a request handler), and the fault control actions every sandbox's control API answers.

See ``_chaos`` for the kinds and what each does in each mode.
"""

from __future__ import annotations

import errno
import json
import socket
import struct
from collections.abc import Callable, Mapping
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler
from typing import Any, cast

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError
from urllib3.exceptions import ProtocolError as _Urllib3ProtocolError

from ._chaos import ACTING_KINDS, Answer, Faults

__all__ = ["CONTROL_ACTIONS", "control", "control_arguments", "in_process", "over_http"]


# -- in-process (a ``responses`` callback) ----------------------------------------------------------
def in_process(faults: Faults, operation: str | None, request: Any, act: Callable[[], Answer]) -> Answer:
    """Answer a ``responses`` callback with the fault due (if any): raise what ``requests`` would
    raise, or return the answer the faulty network would give. ``act`` runs the request."""
    spec = faults.take(operation)
    if spec is None:
        return act()
    kind = spec.kind
    if kind == "refused":
        reason = NewConnectionError(
            cast(Any, None), f"Failed to establish a new connection: [Errno {errno.ECONNREFUSED}] Connection refused"
        )
        raise requests.ConnectionError(MaxRetryError(cast(Any, None), request.url, reason), request=request)
    if kind == "reset_before":
        raise _reset(request)
    if kind in ("timeout_before", "timeout_after"):
        read_timeout = _read_timeout(request)
        if read_timeout is not None and read_timeout < spec.delay:
            if kind == "timeout_after":
                act()
            raise requests.ReadTimeout(f"Read timed out. (read timeout={read_timeout:g})", request=request)
        if kind == "timeout_before":
            faults.wait(spec.delay)
            return spec.answer()
        answer = act()
        faults.wait(spec.delay)
        return answer
    if kind == "reset_after":
        act()
        raise _reset(request)
    if kind == "truncated":
        status, headers, body = act()
        # responses builds a urllib3 response: it raises IncompleteRead -> ChunkedEncodingError for real.
        return status, {**headers, "Content-Length": str(len(body))}, body[: len(body) // 2]
    return spec.answer()


def _reset(request: Any) -> requests.ConnectionError:
    return requests.ConnectionError(
        _Urllib3ProtocolError(
            "Connection aborted.", ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
        ),
        request=request,
    )


def _read_timeout(request: Any) -> float | None:
    """The read timeout the client passed to ``requests`` (responses keeps the call's kwargs)."""
    timeout = getattr(request, "req_kwargs", {}).get("timeout")
    if isinstance(timeout, tuple):
        timeout = timeout[1]
    return float(timeout) if isinstance(timeout, (int, float)) else None


# -- over HTTP (a BaseHTTPRequestHandler) -----------------------------------------------------------
def send_answer(handler: BaseHTTPRequestHandler, answer: Answer, *, length: int | None = None) -> None:
    """Write ``answer`` (``length``: the Content-Length to announce, the body's by default)."""
    status, headers, body = answer
    handler.send_response(status)
    for name, value in headers.items():
        if name.lower() != "content-length":
            handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    handler.end_headers()
    handler.wfile.write(body)


def over_http(
    handler: BaseHTTPRequestHandler,
    faults: Faults,
    operation: str | None,
    body: bytes,
    act: Callable[[bytes], Answer],
) -> None:
    """Serve one request with the fault due (if any), at the socket level. ``body`` is the
    request's body (read within the server's limits); ``act`` runs it."""
    spec = faults.take(operation)
    try:
        if spec is None:
            send_answer(handler, act(body))
            return
        kind = spec.kind
        if kind in ("refused", "reset_before"):
            _send_rst(handler)
        elif kind == "timeout_before":
            faults.wait(spec.delay)
            send_answer(handler, _closing(spec.answer()))
        elif kind in ACTING_KINDS:
            answer = act(body)
            if kind == "reset_after":
                _send_rst(handler)
            elif kind == "timeout_after":
                faults.wait(spec.delay)
                send_answer(handler, answer)
            else:  # truncated: announce every byte, send half, close
                status, headers, data = _closing(answer)
                send_answer(handler, (status, headers, data[: len(data) // 2]), length=len(data))
        else:  # an answer from the edge (5xx, HTML page, 429); the connection stays open
            send_answer(handler, spec.answer())
    except OSError:  # the client gave up first (a timeout fault): nothing to tell it
        handler.close_connection = True


def _closing(answer: Answer) -> Answer:
    """``answer`` with ``Connection: close`` (the handler then closes the connection after it)."""
    return answer[0], {**answer[1], "Connection": "close"}, answer[2]


def _send_rst(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection with an RST (SO_LINGER 0) rather than a FIN.

    Closed here, not by socketserver: its ``shutdown(SHUT_WR)`` would send a FIN first.
    """
    handler.close_connection = True
    connection: socket.socket = handler.connection
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.rfile.close()  # its reference would keep the socket open past close()
    connection.close()


# -- control (the same actions on every sandbox's HTTP control API) ----------------------------------
#: ``POST /sandbox/control/<action>`` with a JSON object of arguments.
CONTROL_ACTIONS = ("script_fault", "random_faults", "clear_faults", "fired_faults", "set_latency")


def control(faults: Faults, action: str, args: Mapping[str, Any]) -> Any:
    """Run one fault control action; ValueError/TypeError on bad arguments. The result is JSON-able.

    * ``script_fault {operation, kind, times?, delay?, retry_after?}``
    * ``random_faults {rate, seed?, kinds?, operations?, delay?, retry_after?}``
    * ``clear_faults {}``
    * ``fired_faults {}`` -> ``[{operation, kind, acted, source}, ...]``
    * ``set_latency {seconds}``
    """
    if action == "script_fault":
        faults.script(**args)
        return {"pending": faults.pending}
    if action == "random_faults":
        faults.random(**args)
        return None
    if action == "clear_faults":
        if args:
            raise TypeError("clear_faults takes no arguments")
        faults.clear()
        return None
    if action == "fired_faults":
        if args:
            raise TypeError("fired_faults takes no arguments")
        return [asdict(f) for f in faults.fired]
    if action == "set_latency":
        faults.latency = args["seconds"]
        return {"latency": faults.latency}
    raise KeyError(action)


def control_arguments(body: bytes) -> dict[str, Any]:
    """A control call's JSON object of arguments (an empty body: none); ValueError for anything else,
    nesting too deep for the parser included (``RecursionError`` is not let out)."""
    try:
        args = json.loads(body or b"{}")
    except RecursionError:
        raise ValueError("the body must be a JSON object (this one is nested too deeply to read)") from None
    if not isinstance(args, dict):
        raise ValueError("the body must be a JSON object")
    return args
