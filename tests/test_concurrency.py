"""Clients are safe to share between threads; many clients share one pool."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal

from onebalance import OneBalance


def test_many_threads_on_one_client_never_trip_the_rolling_token(sandbox, client_for, wire_log):
    with sandbox.serve() as server:
        creds = sandbox.create_demo_account()
        client = client_for(replace(creds, url=server.url))
        with ThreadPoolExecutor(16) as pool:
            balances = list(pool.map(lambda _: client.account().available_postage, range(160)))
    assert balances == [Decimal("100.00")] * 160
    logins = [op for d, op, _ in wire_log if d == "request" and op == "AuthenticateUser"]
    faults = [body for d, _, body in wire_log if d == "response" and b"Fault" in body]
    assert len(logins) == 1
    assert faults == []


def test_many_merchants_in_threads(sandbox):
    for i in range(40):
        sandbox.create_account(f"merchant-{i}", f"Passw0rd-{i}", balance=i)
    with sandbox.serve() as server:
        creds = sandbox.create_demo_account()
        clients = [
            OneBalance(
                integration_id=creds.integration_id,
                username=f"merchant-{i}",
                password=f"Passw0rd-{i}",
                endpoint=server.url,
            )
            for i in range(40)
        ]
        with ThreadPoolExecutor(8) as pool:
            balances = list(pool.map(lambda c: c.account().available_postage, clients))
    assert balances == [Decimal(i) for i in range(40)]
