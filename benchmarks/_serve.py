"""The sandbox server the benchmarks talk to, in its own process (so that it has a core to itself).

    python benchmarks/_serve.py [--latency SECONDS] [--accounts N] [--canned]

Prints one JSON line (the SOAP URL and the accounts' credentials), then serves until its
standard input closes. ``--latency`` sleeps that long in every SOAP call before it is
dispatched (outside the sandbox's lock, as a slow network or service would); ``--canned``
answers every SOAP call with the same GetAccountInfo response without dispatching it: the
HTTP server's own ceiling.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from onebalance._soap._envelope import build
from onebalance._soap._schema import swsim_schema
from onebalance.sandbox import DEMO_INTEGRATION_ID, Sandbox
from onebalance.sandbox._core import Reply
from onebalance.sandbox._server import SandboxServer

PASSWORD = "Bench-passw0rd"


def get_account_info_request(username: str) -> bytes:
    schema = swsim_schema()
    credentials = {"IntegrationID": DEMO_INTEGRATION_ID, "Username": username, "Password": PASSWORD}
    return build(schema, schema.operations["GetAccountInfo"], {"Credentials": credentials}, response=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--accounts", type=int, default=32)
    parser.add_argument("--canned", action="store_true")
    args = parser.parse_args()

    box = Sandbox()
    names = [f"bench-{i}" for i in range(args.accounts)]
    for name in names:
        box.create_account(name, PASSWORD, balance="100000.00", max_postage_balance="1000000.00")
    real = box.handle
    if args.canned:
        canned = real(
            get_account_info_request(names[0]), "http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111/GetAccountInfo"
        )

        def answer(body: bytes, soap_action: str | None) -> Reply:
            return canned

        box.handle = answer  # type: ignore[method-assign]
    elif args.latency:
        latency = args.latency

        def slow(body: bytes, soap_action: str | None) -> Reply:
            time.sleep(latency)
            return real(body, soap_action)

        box.handle = slow  # type: ignore[method-assign]
    with SandboxServer(box).start() as server:
        print(
            json.dumps(
                {"url": server.url, "integration_id": DEMO_INTEGRATION_ID, "usernames": names, "password": PASSWORD}
            ),
            flush=True,
        )
        sys.stdin.read()


if __name__ == "__main__":
    main()
