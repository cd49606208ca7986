"""Registering new One Balance accounts: the form, phone verification, codewords, username recovery."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from onebalance.core import ValidationError
from onebalance.swsim import Codewords, Platform, RegistrationForm

from ._clients import MerchantClients

__all__ = ["Registrar", "Registration"]


class Registration(BaseModel):
    """A registered account waiting for its phone verification."""

    model_config = ConfigDict(frozen=True)

    merchant_id: str
    username: str
    user_id: int
    promo_url: str | None = None


class Registrar:
    """Registration and what follows it: phone verification, codewords."""

    def __init__(self, clients: MerchantClients, platform: Platform) -> None:
        self._clients = clients
        self._platform = platform

    def register(self, merchant_id: str, form: RegistrationForm, *, replace: bool) -> Registration:
        form.check()
        assert form.username and form.password and form.client_ip
        store = self._clients.store
        store.check_merchant_id(merchant_id)
        if not replace and store.get(merchant_id) is not None:
            raise ValidationError(
                f"merchant {merchant_id!r} already has One Balance credentials stored; close or forget that "
                "account first, or pass replace=True",
                field="merchant_id",
            )
        answer = self._platform.register(self._clients.integration_id, form)
        password = form.password.get_secret_value()
        client = self._clients.new_client(username=form.username, password=password, client_ip=form.client_ip)
        self._clients.save(merchant_id, client, status="pending_verification", verified=False)
        client.authenticate()
        self._clients.save(merchant_id, client, status="pending_verification")
        return Registration(
            merchant_id=merchant_id, username=form.username, user_id=answer.user_id, promo_url=answer.promo_url
        )

    def start_phone_verification(self, merchant_id: str, method: Literal["SMS", "Voice"], phone: str | None) -> None:
        self._clients.client(merchant_id).start_phone_verification(method, phone)

    def finish_phone_verification(self, merchant_id: str, code: str) -> None:
        client = self._clients.client(merchant_id)
        client.finish_phone_verification(code)
        self._clients.save(merchant_id, client)

    def codeword_types(self) -> list[tuple[str, str]]:
        return self._platform.codeword_types()

    def set_codewords(self, merchant_id: str, codewords: Codewords) -> None:
        self._clients.client(merchant_id).set_codewords(codewords)

    def recover_username(self, email: str) -> None:
        self._platform.recover_username(email)
