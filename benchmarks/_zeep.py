"""zeep as a user who knows it writes it, beside zeep by hand (naive): the "what a user would pick
instead" baselines of items 2 and 3.

* **naive**: a ``zeep.Client`` parsed from the WSDL and a ``requests.Session`` per merchant (see
  ``merchants.zeep_client`` and ``latency.ZeepMerchant``);
* **shared Document**: the WSDL parsed once into a ``zeep.wsdl.Document``; each merchant gets a
  ``zeep.Client`` over that Document and the one shared transport (:func:`client_on_document`);
* **shared service**: one service for every merchant; a merchant is its credentials and its
  rolling Authenticator (:class:`ZeepAccount`).

:class:`ZeepAccount` buys a label with the SDK's tactics: the thread that gets the merchant's
conversation uses (and rolls) its Authenticator; the others send Credentials at once instead of
waiting for it, as ``OneBalance`` does.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

import requests
from _common import WSDL, shipment
from requests.adapters import HTTPAdapter

from carriers import Rate
from onebalance import _usps as usps_mapping

NS = "http://stamps.com/xml/namespace/2021/01/swsim/SwsimV111"
BINDING = f"{{{NS}}}SwsimV111Soap"
#: Connections the shared session keeps per host: as many as the threads of item 3.
POOL = 32


def shared_transport(pool: int = POOL) -> Any:
    """One ``requests.Session`` (a pool as large as the threads) in one zeep ``Transport``."""
    from zeep.transports import Transport

    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return Transport(session=session, operation_timeout=30)


@cache
def document() -> Any:
    """The WSDL parsed once, for every client of the process."""
    from zeep.wsdl import Document

    return Document(str(WSDL), shared_transport())


def client_on_document(endpoint: str, transport: Any) -> Any:
    """A merchant's zeep service over the shared Document and transport (no WSDL parsed)."""
    import zeep

    return zeep.Client(document(), transport=transport).create_service(BINDING, endpoint)


def shared_service(endpoint: str, transport: Any = None) -> Any:
    """The one service every merchant's calls go through."""
    return client_on_document(endpoint, transport if transport is not None else shared_transport())


class ZeepAccount:
    """One merchant over a shared zeep service: its credentials and its rolling Authenticator."""

    __slots__ = ("credentials", "lock", "service", "token")

    def __init__(self, service: Any, integration_id: str, username: str, password: str) -> None:
        self.service = service
        self.credentials = {"IntegrationID": integration_id, "Username": username, "Password": password}
        self.token: str | None = None
        self.lock = threading.Lock()

    def buy(self, rate: Rate, tx: str) -> Any:
        """GetAccountInfo, CleanseAddress, CreateIndicium (the SDK's three calls) for one label: on
        the conversation when this thread gets it, with Credentials when another thread has it."""
        if self.lock.acquire(blocking=False):
            try:
                return self._buy(rate, tx, conversation=True)
            finally:
                self.lock.release()
        return self._buy(rate, tx, conversation=False)

    def _auth(self, conversation: bool) -> dict[str, Any]:
        if conversation and self.token is not None:
            return {"Authenticator": self.token}
        return {"Credentials": self.credentials}

    def _roll(self, conversation: bool, answer: Any) -> None:
        if conversation and answer.Authenticator:
            self.token = answer.Authenticator

    def _buy(self, rate: Rate, tx: str, conversation: bool) -> Any:
        ship, service = shipment(), self.service
        info = service.GetAccountInfo(**self._auth(conversation))
        self._roll(conversation, info)
        cleansed = service.CleanseAddress(**self._auth(conversation), **usps_mapping.cleanse_request(ship.recipient))
        self._roll(conversation, cleansed)
        payload = usps_mapping.indicium_request(rate, ship, tx, to_cleanse_hash=cleansed.Address.CleanseHash)
        label = service.CreateIndicium(**self._auth(conversation), **payload)
        self._roll(conversation, label)
        return label
