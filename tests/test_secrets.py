"""No password or token ever shows in logs, reprs or error texts."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest

from onebalance import AuthenticationFailed

_TOKEN = re.compile(rb"<(?:\w+:)?[Aa]uthenticator(?:\s[^>]*)?>([^<]+)<")


def _tokens(wire_log) -> set[str]:
    return {m.decode() for _, _, body in wire_log for m in _TOKEN.findall(body)}


def test_debug_logs_hold_no_password_or_token(sandbox, endpoint, client_for, wire_log, caplog):
    caplog.set_level(logging.DEBUG)
    client = client_for(endpoint)
    client.account()
    sandbox.advance_clock(timedelta(hours=25))  # forces a transparent re-login
    client.account()
    with pytest.raises(AuthenticationFailed):
        client_for(endpoint, password="Wrong-passw0rd").account()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "op=GetAccountInfo" in text
    assert "request=" in text  # bodies are logged at DEBUG, redacted
    secrets = {endpoint.password, "Wrong-passw0rd"} | _tokens(wire_log)
    assert len(secrets) > 3
    leaked = [s for s in secrets if s in text]
    assert not leaked


def test_reprs_and_errors_hold_no_secret(endpoint, client_for):
    client = client_for(endpoint)
    client.account()
    assert endpoint.password not in repr(client)
    assert client._token not in repr(client)
    assert "password='***'" in repr(endpoint)
    with pytest.raises(AuthenticationFailed) as info:
        client_for(endpoint, password="Wrong-passw0rd").account()
    for text in (str(info.value), repr(info.value), str(info.value.args)):
        assert "Wrong-passw0rd" not in text
        assert "wrong" in text.lower()  # it names the problem


# -- the redacting filter ----------------------------------------------------------------------------


def test_redaction_masks_by_name_by_shape_and_by_value():
    from onebalance.core._redact import SecretRegistry, redact_text

    text = (
        "<ns0:Password>hunter2</ns0:Password><Authenticator><![CDATA[cdata-tok-5]]></Authenticator> "
        '{"client_secret": "cs-1", "access_token":"at-2", "expires_in": "3599"} '
        "{'password': 'pw-3'} grant_type=client_credentials&client_secret=cs-4&x=1 "
        "Authorization: Bearer eyJhbGciOi.abc-def Basic dXNlcjpwYXNz card 4111 1111 1111 1111 "
        "tracking 9400111899223856921234 order 1234567890123"
    )
    masked = redact_text(text)
    for secret in ("hunter2", "cdata-tok-5", "cs-1", "at-2", "pw-3", "cs-4", "eyJhbGciOi.abc-def", "dXNlcjpwYXNz",
                   "4111 1111 1111 1111"):  # fmt: skip
        assert secret not in masked, secret
    assert '"expires_in": "3599"' in masked  # other keys are kept
    assert "***1111" in masked  # a card keeps its last four digits
    assert "9400111899223856921234" in masked  # a tracking number is not a card (too long)
    assert "1234567890123" in masked  # fails the Luhn check: not a card

    registry = SecretRegistry(limit=3)  # an explicit bound forgets the least recent values
    for value in ("Secret-one-1", "Secret-two-2", "short", "Secret-three-3", "Secret-four-4"):
        registry.add(value)
    assert len(registry) == 3  # "short" is too short to mask by value
    assert registry.mask("a Secret-two-2 b Secret-four-4 c Secret-one-1") == "a *** b *** c Secret-one-1"
    assert "Secret-" not in repr(registry)

    many = SecretRegistry()  # past the few hundred searched one by one: the indexed pass
    values = [f"value-{i:04d}-secret" for i in range(400)]
    for value in values:
        many.add(value)
    many.add("value-0007-secret-longer")
    text = "x value-0007-secret-longer y value-0399-secret z value-0001-secre"
    assert many.mask(text) == "x *** y *** z value-0001-secre"


def test_ten_thousand_merchants_passwords_all_stay_masked():
    """No cap drops a secret: the first of 10,000+ registered passwords is still masked, inside larger text."""
    from onebalance.core._redact import SecretRegistry

    registry = SecretRegistry()
    values = [f"Merchant-{i:05d}-Passw0rd" for i in range(10_050)]
    for value in values:
        registry.add(value)
    assert len(registry) == 10_050
    text = f"login failed for x{values[0]}y and {values[5_000]}, not Merchant-00001-Passw0r"
    assert registry.mask(text) == "login failed for x***y and ***, not Merchant-00001-Passw0r"
    # a value that is the start of a longer one: the longer is masked whole
    registry.add("Merchant-00002-Passw0rd-and-more")
    assert registry.mask("[Merchant-00002-Passw0rd-and-more]") == "[***]"


def test_tokens_are_forgotten_only_long_after_they_expire(monkeypatch):
    import onebalance.core._redact as redact_module
    from onebalance.core._redact import EXPIRED_GRACE, SecretRegistry

    clock = [1000.0]
    monkeypatch.setattr(redact_module.time, "monotonic", lambda: clock[0])
    registry = SecretRegistry()
    registry.add("Access-Token-old", lifetime=3600)
    registry.add("Client-Secret-kept")
    clock[0] += 3600 + EXPIRED_GRACE - 1
    registry.add("Access-Token-new", lifetime=3600)
    assert registry.mask("Access-Token-old Client-Secret-kept") == "*** ***"  # expired, but within the grace
    clock[0] += 61  # past its grace, and past the minute between two looks for expired values
    registry.add("Access-Token-newer", lifetime=3600)
    assert registry.mask("Access-Token-old Client-Secret-kept Access-Token-new") == "Access-Token-old *** ***"
    assert len(registry) == 3


def test_the_filter_masks_records_without_touching_the_applications_logging_config(caplog):
    from onebalance.core._redact import LOGGERS, RedactingFilter, register_secret

    register_secret("Registered-Secret-9")
    logger = logging.getLogger("onebalance.carriers.fedex")
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    caplog.set_level(logging.DEBUG)
    logger.debug("body=%s", {"client_secret": "abc", "note": "Registered-Secret-9"})
    try:
        raise ValueError("<Password>in-a-traceback</Password>")
    except ValueError:
        logging.getLogger("zeep.transports").exception("failed")
    text = caplog.text
    assert "abc'" not in text and "Registered-Secret-9" not in text
    assert "in-a-traceback" not in text
    assert "Password>***<" in text
    assert {name: logging.getLogger(name).level for name in LOGGERS} == levels
    assert all(sum(isinstance(f, RedactingFilter) for f in logging.getLogger(n).filters) == 1 for n in LOGGERS)


def test_credentials_passwords_and_oauth_secrets_are_registered_for_masking(caplog):
    from carriers.ups import UpsSettings
    from onebalance import OneBalance

    OneBalance(integration_id="11111111-2222-3333-4444-555555555555", username="u", password="Given-Passw0rd-7",
               endpoint="https://swsim.example.com/x")  # fmt: skip
    UpsSettings(client_id="id", client_secret="Ups-Client-Secret-8", account_number="A1B2C3")
    caplog.set_level(logging.INFO)
    logging.getLogger("onebalance").info("oops: %s %s", "Given-Passw0rd-7", "Ups-Client-Secret-8")
    assert "Given-Passw0rd-7" not in caplog.text and "Ups-Client-Secret-8" not in caplog.text
    assert "oops: *** ***" in caplog.text
