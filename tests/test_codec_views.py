"""Reading only what is used of an answer (``swsim._soap._views.Reads``): a purchase reads four values
of the rate CreateIndicium echoes. What is read is decoded and checked exactly as in the whole
answer; what is not read is passed over, as elements a later version adds are."""

from __future__ import annotations

import re
from typing import Any

import pytest

from onebalance.carriers.usps import _mapping as usps_mapping
from onebalance.swsim import Reads, _exchange, swsim_schema
from onebalance.swsim._soap._envelope import MalformedResponse, read_response

from .test_usps import (
    _priority,
    _shipment,
    usps,  # noqa: F401  (the fixture)
)

pytestmark = pytest.mark.usefixtures("sandbox")


@pytest.fixture
def answers(usps: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, bytes]]:  # noqa: F811  (the fixture)
    """The CreateIndicium answers of two labels bought from the sandbox, as they came off the wire."""
    seen: list[tuple[Any, bytes]] = []
    real = _exchange.read_response

    def spy(op: Any, data: bytes, **options: Any) -> dict[str, Any]:
        if op.name == "CreateIndicium":
            seen.append((op, data))
        return real(op, data, **options)

    monkeypatch.setattr(_exchange, "read_response", spy)
    for key in ("first", "second"):
        shipment = _shipment()
        usps.buy(_priority(usps, shipment), shipment, idempotency_key=key)
    assert len(seen) == 2
    return seen


def test_what_a_purchase_reads_is_what_the_whole_answer_says(answers: list[tuple[Any, bytes]]) -> None:
    reads = usps_mapping.LABEL_READS
    for op, data in answers:
        whole = read_response(op, data, strict=False)
        part = read_response(op, data, strict=False, reads=reads)
        assert set(part) == (reads.fields | {"Authenticator"}) & set(whole)
        assert {"TrackingNumber", "StampsTxID", "PostageBalance", "Rate", "Authenticator"} <= set(part)
        for name, value in part.items():
            if name == "Rate":
                assert value == {k: v for k, v in whole["Rate"].items() if k in {"Amount", "ServiceType", "AddOns"}}
                assert set(whole["Rate"]) - set(value)  # the echoed addresses, weights... were there, unread
            else:
                assert value == whole[name], name


def _with(data: bytes, pattern: str, replacement: str) -> bytes:
    changed, count = re.subn(pattern.encode(), replacement.encode(), data, count=1)
    assert count == 1, pattern
    return changed


def test_a_field_read_is_checked_and_one_passed_over_is_not(answers: list[tuple[Any, bytes]]) -> None:
    reads = usps_mapping.LABEL_READS
    op, data = answers[0]
    bad_amount = _with(data, r"(<Rate>(?:(?!</Rate>).)*?<Amount>)[^<]*(</Amount>)", r"\1abc\2")
    with pytest.raises(MalformedResponse, match="Amount"):
        read_response(op, bad_amount, strict=False, reads=reads)
    bad_weight = _with(data, r"(<WeightLb>)[^<]*(</WeightLb>)", r"\1abc\2")
    with pytest.raises(MalformedResponse, match="WeightLb"):
        read_response(op, bad_weight, strict=False)  # the whole answer refuses it...
    assert read_response(op, bad_weight, strict=False, reads=reads)["Rate"]["Amount"]  # ...a purchase never reads it


def test_a_required_field_read_is_still_required(answers: list[tuple[Any, bytes]]) -> None:
    op, data = answers[0]
    required = op.output.type.required_fields
    assert required is not None and "Rate" in required and "PostageBalance" in required
    without_balance = _with(data, r"<PostageBalance>.*?</PostageBalance>", "")
    with pytest.raises(MalformedResponse, match="PostageBalance"):
        read_response(op, without_balance, strict=False, reads=usps_mapping.LABEL_READS)
    # A required field nobody reads may be missing: the purchase reads on (the Rate's echoed addresses).
    without_from = _with(data, r"<From>.*?</From>", "")
    with pytest.raises(MalformedResponse, match="From"):
        read_response(op, without_from, strict=False)
    assert read_response(op, without_from, strict=False, reads=usps_mapping.LABEL_READS)["TrackingNumber"]


@pytest.mark.parametrize("version", ["v111", "v135"])
def test_the_purchase_reads_fit_every_version_spoken(version: str) -> None:
    answer = swsim_schema(version).operations["CreateIndicium"].output.type
    view = usps_mapping.LABEL_READS.view(answer)
    assert {entry[0] for entry in view.reads.values()} == usps_mapping.LABEL_READS.fields | {"Authenticator"}
    assert usps_mapping.LABEL_READS.view(answer) is view  # made once per type


def test_reads_that_name_what_the_answer_lacks_are_refused() -> None:
    answer = swsim_schema("v135").operations["CreateIndicium"].output.type
    with pytest.raises(ValueError, match="no field Trackingnumber"):
        Reads("Trackingnumber").view(answer)
    with pytest.raises(ValueError, match="StampsTxID has no fields"):
        Reads(StampsTxID=Reads("Amount")).view(answer)
    assert repr(usps_mapping.LABEL_READS).startswith("Reads('FormURL', ")


def test_reads_the_answer_lacks_are_refused_before_anything_is_sent(
    usps: Any,  # noqa: F811  (the fixture)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A typo in what a caller reads must not cost a label: refused before the request goes out."""
    from onebalance import ValidationError

    client = usps.proxy.client
    client.account()  # the conversation is established
    sent: list[str] = []
    post = type(client._wire.transport).post

    def spy(self: Any, url: str, body: bytes, soap_action: str, *, operation: str) -> Any:
        sent.append(operation)
        return post(self, url, body, soap_action, operation=operation)

    monkeypatch.setattr(type(client._wire.transport), "post", spy)
    with pytest.raises(ValidationError, match="reads: GetAccountInfoResponse has no field Balance") as info:
        client.call("GetAccountInfo", {}, reads=Reads("Balance"))
    assert info.value.field == "reads" and sent == []
    assert set(client.call("GetAccountInfo", {}, reads=Reads("AccountInfo"))) == {"AccountInfo"}
    assert sent == ["GetAccountInfo"]
