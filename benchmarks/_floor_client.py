"""Item 3's floor: the cheapest correct client, driven by the same 32 threads as the SDK.

A label is one CreateIndicium written as text from fields laid out once (``overhead.floor_indicium``,
item 1's floor), with the merchant's Credentials in every call (no conversation to keep), posted
through one ``requests`` session (a pool of 32 connections) that reads the environment once
(``overhead.EnvOnce``), and four values read from the answer: no checks, no models, no journal.
What this reaches on the machine is what any client built on ``requests`` can reach there: the
SDK's throughput is read against it as well as against the ideal.
"""

from __future__ import annotations

from typing import Any

from _common import pooled_session
from overhead import EnvOnce, floor_indicium, schema_ordered

from carriers import Rate, ShipmentRequest
from onebalance.carriers.usps import _mapping as usps_mapping

#: Connections the floor's session keeps per host: as many as the threads of item 3.
POOL = 32


class FloorClient:
    """One session for every merchant; a merchant is its Credentials."""

    def __init__(self, url: str, rate: Rate, ship: ShipmentRequest, cleanse_hash: str | None) -> None:
        self.url = url
        self.poster = EnvOnce(pooled_session(POOL), url)
        wire = usps_mapping.ship_request(rate, ship, "floor", to_cleanse_hash=cleanse_hash, version="v135")
        self.wire = schema_ordered("CreateIndicium", wire)

    def buy(self, credentials: dict[str, str], tx: str) -> dict[str, Any]:
        wire = {**self.wire, "IntegratorTxID": tx}
        return floor_indicium(self.poster, wire, auth={"Credentials": credentials}, url=self.url)
