"""Each merchant's One Balance client, built from its stored credentials and cached, and the
writes of a merchant's credential record (what every concern of ``Accounts`` shares)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

import requests

from onebalance.core import AccountDisconnected, NotConnected, RetryPolicy, Timeout
from onebalance.stores import CredentialStore, StoredCredentials
from onebalance.swsim import ApiVersion, Concurrency, OneBalance

__all__ = ["MerchantClients", "refused_error"]


def _one_balance_part(stored: StoredCredentials) -> dict[str, Any]:
    """What the One Balance client is built from: a carrier account (dis)connected must not rebuild
    it (and so log in again), nor must the record's ``updated_at`` alone."""
    return stored.model_dump(exclude={"ups", "fedex", "updated_at"})


def refused_error(stored: StoredCredentials) -> AccountDisconnected:
    """The error for credentials the service refused before (they are not sent again on their own)."""
    when = f" at {stored.refused_at:%Y-%m-%d %H:%M} UTC" if stored.refused_at else ""
    return AccountDisconnected(
        f"{AccountDisconnected.default_message}; they were refused{when} and are not sent again (each refusal "
        "counts towards a lockout): reconnect with the merchant's current password",
        code="002b0601",
    )


class MerchantClients:
    """The merchants' One Balance clients (one conversation each, rebuilt when the credentials
    change) over the credential ``store``. Safe to use from many threads."""

    def __init__(
        self,
        *,
        integration_id: str,
        endpoint: str,
        api_version: ApiVersion,
        store: CredentialStore,
        timeout: Timeout | None,
        session: requests.Session | None,
        retry: RetryPolicy | None,
        concurrency: Concurrency,
        client_ip: str,
        now: Callable[[], datetime],
    ) -> None:
        self.integration_id = integration_id
        self.endpoint = endpoint
        self.api_version: ApiVersion = api_version
        self.store = store
        self.timeout = timeout
        self.session = session
        self.retry = retry
        self.concurrency: Concurrency = concurrency
        self.client_ip = client_ip
        self.now = now
        self._clients: dict[str, tuple[StoredCredentials, OneBalance]] = {}
        self._lock = threading.Lock()
        #: Held for a read-modify-write of one merchant's record.
        self.store_lock = threading.RLock()

    def stored(self, merchant_id: str) -> StoredCredentials:
        """The merchant's stored credentials; :class:`NotConnected` if none."""
        stored = self.store.get(merchant_id)
        if stored is None:
            raise NotConnected(f"No One Balance account is connected for merchant {merchant_id!r}")
        return stored

    def client(self, merchant_id: str) -> OneBalance:
        """The merchant's client (cached), from the stored credentials; :class:`NotConnected` if none."""
        stored = self.store.get(merchant_id)
        if stored is None:
            raise NotConnected(f"No One Balance account is connected for merchant {merchant_id!r}")
        if stored.status == "disconnected":
            raise refused_error(stored)
        with self._lock:
            cached = self._clients.get(merchant_id)
            if cached is not None and _one_balance_part(cached[0]) == _one_balance_part(stored):
                return cached[1]
            client = self.client_for(stored, merchant_id)
            self._clients[merchant_id] = (stored, client)
            return client

    def new_client(
        self,
        *,
        username: str,
        password: str,
        integration_id: str | None = None,
        endpoint: str | None = None,
        client_ip: str | None = None,
        credentials_verified: bool = False,
        on_credentials_refused: Callable[[Any], None] | None = None,
    ) -> OneBalance:
        """A client with the platform's settings (timeout, session, retry, concurrency, IP)."""
        return OneBalance(
            integration_id=integration_id or self.integration_id,
            username=username,
            password=password,
            endpoint=endpoint or self.endpoint,
            timeout=self.timeout,
            session=self.session,
            retry=self.retry,
            concurrency=self.concurrency,
            client_ip=client_ip or self.client_ip,
            api_version=self.api_version,
            credentials_verified=credentials_verified,
            on_credentials_refused=on_credentials_refused,
        )

    def client_for(self, stored: StoredCredentials, merchant_id: str) -> OneBalance:
        """A new client of the stored credentials; a refusal of them marks the record."""
        return self.new_client(
            integration_id=stored.integration_id,
            username=stored.username,
            password=stored.password_value(),
            endpoint=stored.endpoint,
            credentials_verified=stored.verified_at is not None,
            on_credentials_refused=lambda error: self.mark_refused(merchant_id, stored),
        )

    def mark_refused(self, merchant_id: str, stored: StoredCredentials) -> None:
        """Remember that the service refused these credentials, so nothing sends them again on its own."""
        with self.store_lock:
            current = self.store.get(merchant_id)
            if current is not None and current.password_value() == stored.password_value():
                now = self.now()
                self.store.put(
                    merchant_id,
                    current.model_copy(update={"status": "disconnected", "refused_at": now, "updated_at": now}),
                )

    def save(
        self,
        merchant_id: str,
        client: OneBalance,
        *,
        status: Literal["connected", "pending_verification"] = "connected",
        verified: bool = True,
    ) -> None:
        """Store the credentials ``client`` logs in with, and keep it as the merchant's client."""
        with self.store_lock:
            current = self.store.get(merchant_id)
            stored = StoredCredentials(
                integration_id=client.integration_id,
                username=client.username,
                password=client.password,
                endpoint=client.endpoint,
                verified_at=self.now() if verified else None,
                status=status,
                updated_at=self.now(),
                # A new password or a reconnection keeps the merchant's UPS and FedEx accounts.
                ups=current.ups if current is not None else None,
                fedex=current.fedex if current is not None else None,
            )
            self.store.put(merchant_id, stored)
        client.on_credentials_refused = lambda error: self.mark_refused(merchant_id, stored)
        with self._lock:
            self._clients[merchant_id] = (stored, client)

    def forget(self, merchant_id: str) -> None:
        """Drop the merchant's cached client (its credentials were deleted)."""
        with self._lock:
            self._clients.pop(merchant_id, None)
