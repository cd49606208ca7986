"""The sandbox server the benchmarks talk to, in its own process (so that it has a core to itself).

    python benchmarks/_serve.py [--latency SECONDS] [--accounts N] [--canned]

Prints one JSON line (the SOAP URL, the accounts' credentials and the path of its call counter),
then serves until its standard input closes. The counter (:class:`CallCounter`) is a small
shared-memory file in which the server keeps the SOAP calls it answered and the seconds they
took, so that a benchmark counts calls at the server and the client can use the SDK exactly as
a platform does (its own shared session, no instrumented one).

``--latency`` sleeps that long in every SOAP call before it is dispatched (outside the
sandbox's lock, as a slow network or service would); ``--canned`` answers every SOAP call with
the same GetAccountInfo response without dispatching it: the HTTP server's own ceiling.
"""

from __future__ import annotations

import argparse
import json
import mmap
import os
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from onebalance.sandbox import DEMO_INTEGRATION_ID, Reply, Sandbox, SandboxServer
from onebalance.swsim import build, swsim_schema

PASSWORD = "Bench-passw0rd"


def get_account_info_request(username: str) -> bytes:
    schema = swsim_schema()
    credentials = {"IntegrationID": DEMO_INTEGRATION_ID, "Username": username, "Password": PASSWORD}
    return build(schema, schema.operations["GetAccountInfo"], {"Credentials": credentials}, response=False)


class CallCounter:
    """Calls answered and the seconds spent answering them, in a 16-byte file both processes map."""

    _LAYOUT = struct.Struct("<Qd")

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        with open(self.path, "r+b") as file:
            self._map = mmap.mmap(file.fileno(), self._LAYOUT.size)
        self._lock = threading.Lock()

    @classmethod
    def create(cls) -> CallCounter:
        fd, path = tempfile.mkstemp(prefix="onebalance-bench-", suffix=".count")
        os.write(fd, bytes(cls._LAYOUT.size))
        os.close(fd)
        return cls(path)

    def add(self, seconds: float) -> None:
        with self._lock:
            calls, total = self._LAYOUT.unpack_from(self._map)
            self._LAYOUT.pack_into(self._map, 0, calls + 1, total + seconds)

    def read(self) -> tuple[int, float]:
        """(calls answered, seconds spent answering them) so far."""
        calls, total = self._LAYOUT.unpack_from(self._map)
        return int(calls), float(total)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--accounts", type=int, default=32)
    parser.add_argument("--canned", action="store_true")
    args = parser.parse_args()

    box = Sandbox()
    names = [f"bench-{i}" for i in range(args.accounts)]
    for name in names:
        # A label is one call now (issue 19 item 2): on one account the 32 threads buy up to 640 labels
        # a second, so the first account (every one-account scenario's) must pay for a few hundred
        # thousand dollars of labels in a run.
        box.create_account(name, PASSWORD, balance="10000000.00", max_postage_balance="100000000.00")
    real = box.handle
    if args.canned:
        canned = real(
            get_account_info_request(names[0]), "http://stamps.com/xml/namespace/2023/07/swsim/SwsimV135/GetAccountInfo"
        )

        def answer(body: bytes, soap_action: str | None, **kwargs: Any) -> Reply:
            return canned

        box.handle = answer  # type: ignore[method-assign]
    elif args.latency:
        latency = args.latency

        def slow(body: bytes, soap_action: str | None, **kwargs: Any) -> Reply:
            time.sleep(latency)
            return real(body, soap_action, **kwargs)

        box.handle = slow  # type: ignore[method-assign]
    counter = CallCounter.create()
    answer_counted = box.handle

    def counted(body: bytes, soap_action: str | None, **kwargs: Any) -> Reply:
        started = time.perf_counter()
        try:
            return answer_counted(body, soap_action, **kwargs)
        finally:
            counter.add(time.perf_counter() - started)

    box.handle = counted  # type: ignore[method-assign]
    try:
        serve(box, names, counter.path)
    finally:
        os.unlink(counter.path)


def serve(box: Sandbox, names: list[str], counter: str) -> None:
    with SandboxServer(box).start() as server:
        print(
            json.dumps(
                {
                    "url": server.url,
                    "integration_id": DEMO_INTEGRATION_ID,
                    "usernames": names,
                    "password": PASSWORD,
                    "counter": counter,
                }
            ),
            flush=True,
        )
        sys.stdin.read()


if __name__ == "__main__":
    main()
