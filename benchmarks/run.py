"""Benchmarks: one command, one table. Every figure is a ratio to a reference measured in the same run.

    python benchmarks/run.py [--quick]

* client overhead per GetAccountInfo, network removed (a canned response), beside the floor:
  the same request built and the same response parsed by hand with lxml;
* the sandbox: operations per second in-process (dispatcher only) and requests per second over HTTP.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from lxml import etree

from onebalance import OneBalance
from onebalance._soap._envelope import build
from onebalance._soap._schema import swsim_schema
from onebalance._transport import HttpReply
from onebalance.sandbox import Sandbox

NS = "http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111"
ENV = "http://schemas.xmlsoap.org/soap/envelope/"


def per_call(fn: Callable[[], object], n: int) -> float:
    """Best of 3 runs of n calls: seconds per call."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - start) / n)
    return best


def canned_account_response(box: Sandbox) -> bytes:
    creds = box.create_demo_account()
    schema = swsim_schema()
    op = schema.operations["GetAccountInfo"]
    reply = box.handle(
        build(schema, op, {"Credentials": {"IntegrationID": creds.integration_id, "Username": creds.username,
                                           "Password": creds.password}}, response=False),
        op.soap_action,
    )
    return reply.body


def floor_get_account_info(response: bytes) -> dict[str, object]:
    """By hand: the request with lxml, the response parsed and the fields the SDK returns read."""
    env = etree.Element(f"{{{ENV}}}Envelope")
    body = etree.SubElement(env, f"{{{ENV}}}Body")
    req = etree.SubElement(body, f"{{{NS}}}GetAccountInfo")
    etree.SubElement(req, f"{{{NS}}}Authenticator").text = "token"
    etree.tostring(env)
    root = etree.fromstring(response)
    node = root[0][0]
    info = node.find(f"{{{NS}}}AccountInfo")
    assert info is not None
    out: dict[str, object] = {"Authenticator": node.findtext(f"{{{NS}}}Authenticator")}
    for child in info:
        name = etree.QName(child).localname
        if name == "PostageBalance":
            out["available"] = Decimal(child[0].text or "0")
            out["control"] = Decimal(child[1].text or "0")
        elif name == "Capabilities":
            out["caps"] = {etree.QName(c).localname: c.text == "true" for c in child}
        elif len(child) == 0:
            out[name] = child.text
    return out


def bench_client_overhead(n: int) -> list[tuple[str, float, float]]:
    box = Sandbox()
    canned = canned_account_response(box)
    creds = box.create_demo_account()
    client = OneBalance(integration_id=creds.integration_id, username=creds.username, password=creds.password,
                        endpoint="https://swsim.sandbox.onebalance.test/swsim/swsimv111.asmx")
    client._token = "token"  # skip the login: only GetAccountInfo is measured
    client._wire.transport.post = lambda *a, **k: HttpReply(200, canned, "text/xml")  # type: ignore[method-assign]
    sdk = per_call(client.account, n)
    floor = per_call(lambda: floor_get_account_info(canned), n)
    return [("GetAccountInfo client CPU per call", sdk, floor)]


def bench_sandbox(n: int) -> list[tuple[str, float]]:
    box = Sandbox()
    creds = box.create_demo_account()
    schema = swsim_schema()
    op = schema.operations["GetAccountInfo"]
    request = build(schema, op, {"Credentials": {"IntegrationID": creds.integration_id,
                                                 "Username": creds.username, "Password": creds.password}},
                    response=False)
    in_process = 1 / per_call(lambda: box.handle(request, op.soap_action), n)
    for i in range(4):  # one account per thread: logins of one user supersede each other
        box.create_account(f"bench-{i}", f"Bench-passw0rd-{i}")
    with box.serve() as server:
        clients = [OneBalance(integration_id=creds.integration_id, username=f"bench-{i}",
                              password=f"Bench-passw0rd-{i}", endpoint=server.url) for i in range(4)]
        for c in clients:
            c.account()
        total = n
        start = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: clients[i % 4].account(), range(total)))
        over_http = total / (time.perf_counter() - start)
    return [("sandbox GetAccountInfo in-process, ops/s", in_process),
            ("sandbox GetAccountInfo over HTTP (4 threads, 4 accounts), req/s", over_http)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args()
    n = 200 if args.quick else 2000
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    print()
    print(f"{'measure':58} {'sdk':>10} {'floor':>10} {'ratio':>7}")
    for name, sdk, floor in bench_client_overhead(n):
        print(f"{name:58} {sdk * 1e6:8.1f}us {floor * 1e6:8.1f}us {sdk / floor:6.2f}x")
    print()
    for name, rate in bench_sandbox(n):
        print(f"{name:70} {rate:10.0f}")


if __name__ == "__main__":
    main()
