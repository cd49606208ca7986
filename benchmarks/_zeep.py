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

from _common import WSDL, pooled_session, shipment

from carriers import Rate
from onebalance.carriers.usps import _mapping as usps_mapping

NS = "http://stamps.com/xml/namespace/2023/07/swsim/SwsimV135"
BINDING = f"{{{NS}}}SwsimV135Soap"
#: Connections the shared session keeps per host: as many as the threads of item 3.
POOL = 32


def shared_transport(pool: int = POOL) -> Any:
    """One ``requests.Session`` (a pool as large as the threads) in one zeep ``Transport``."""
    from zeep.transports import Transport

    return Transport(session=pooled_session(pool), operation_timeout=30)


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

    __slots__ = ("checked", "credentials", "lock", "service", "token")

    def __init__(self, service: Any, integration_id: str, username: str, password: str) -> None:
        self.service = service
        self.credentials = {"IntegrationID": integration_id, "Username": username, "Password": password}
        self.token: str | None = None
        self.lock = threading.Lock()
        #: The SDK's tactics for a label: the account read once, and each recipient's CleanseHash
        #: kept from its first check (None until the first purchase: nothing more per merchant).
        self.checked: dict[str, str] | None = None

    def buy(self, rate: Rate, tx: str) -> Any:
        """One label with the SDK's tactics: GetAccountInfo and CleanseAddress the first time (the
        account and the recipient are known afterwards, as the SDK knows them), then CreateIndicium
        alone: on the conversation when this thread gets it, with Credentials when another thread has it."""
        if self.lock.acquire(blocking=False):
            try:
                return self._buy(rate, tx, conversation=True)
            finally:
                self.lock.release()
        return self._buy(rate, tx, conversation=False)

    def _call(self, operation: str, conversation: bool, **fields: Any) -> Any:
        """One call; on the conversation, with its Authenticator, rolled from the answer. A token the
        service no longer knows (it ends the oldest conversations when an account opens too many,
        as the Credentials calls of the other threads do) is dropped and the call made again with
        Credentials, as the SDK does."""
        from zeep.exceptions import Fault

        method = getattr(self.service, operation)
        if conversation and self.token is not None:
            try:
                answer = method(Authenticator=self.token, **fields)
            except Fault as fault:
                if "Invalid authenticator" not in str(fault.message):
                    raise
                self.token = None
            else:
                self.token = answer.Authenticator or self.token
                return answer
        answer = method(Credentials=self.credentials, **fields)
        if conversation and answer.Authenticator:
            self.token = answer.Authenticator
        return answer

    def _buy(self, rate: Rate, tx: str, conversation: bool) -> Any:
        ship = shipment()
        key = ship.recipient.model_dump_json()
        checked = self.checked
        if checked is None:
            self._call("GetAccountInfo", conversation)
            checked = self.checked = {}
        cleanse_hash = checked.get(key)
        if cleanse_hash is None:
            cleansed = self._call("CleanseAddress", conversation, **usps_mapping.cleanse_request(ship.recipient))
            cleanse_hash = checked[key] = cleansed.Address.CleanseHash
        payload = usps_mapping.ship_request(rate, ship, tx, to_cleanse_hash=cleanse_hash, version="v135")
        return self._call("CreateIndicium", conversation, **payload)
