"""A REST call as a carrier's mapping describes it, and the functions every REST mapping provides.

Each carrier's ``_mapping`` module (rates, labels, voids, the token, errors) and
``_mapping_tracking`` module (tracking) implement :class:`RestMapping` and
:class:`TrackingMapping`: pure functions, no I/O, the only place the carrier's JSON keys appear.
Every ``*_request`` returns a :class:`Request`; its ``parse_*`` partner reads the answer's body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol

from onebalance.core import OneBalanceError, Safety
from onebalance.shipments import Carrier, Label, LabelSpec, Rate, ShipmentRequest, Tracking, VoidResult

__all__ = ["Request", "RestMapping", "TrackingMapping", "asked", "void_result"]


#: A request's headers when it has none of its own (read only, shared).
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class Request:
    """One call: ``operation`` (its name in logs, errors and the retry policy), the method, the path
    (with its query), and a JSON ``payload`` or a ``form``. ``headers`` and ``auth`` (HTTP Basic)
    are the token call's own; neither they nor the form show in ``repr()``."""

    operation: str
    method: str
    path: str
    payload: Mapping[str, Any] | None = None
    form: Mapping[str, str] | None = field(default=None, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)  # __init__: _NO_HEADERS
    auth: tuple[str, str] | None = field(default=None, repr=False)
    #: An answer that a lost earlier attempt may explain (a void answered "already voided"): after an
    #: attempt that may have reached the carrier, such an answer is :class:`~onebalance.OutcomeUnknown`.
    repeat_refused: Callable[[Any], bool] | None = field(default=None, repr=False, compare=False)

    def __init__(
        self,
        operation: str,
        method: str,
        path: str,
        payload: Mapping[str, Any] | None = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] = _NO_HEADERS,
        auth: tuple[str, str] | None = None,
        repeat_refused: Callable[[Any], bool] | None = None,
    ) -> None:
        # The fields in one write: a frozen dataclass's own __init__ sets each with object.__setattr__,
        # 14 k instructions a request (a test holds these parameters to the fields).
        self.__dict__.update(
            operation=operation, method=method, path=path, payload=payload, form=form, headers=headers, auth=auth,
            repeat_refused=repeat_refused,
        )  # fmt: skip


def asked(label: Label, package: str | None) -> tuple[str, ...]:
    """The tracking numbers a void asks for: ``package``'s (one of the label's), else every package's."""
    return (label.package_number(package),) if package is not None else label.tracking_numbers


def void_result(carrier: Carrier, label: Label, package: str | None, *, voided: bool) -> VoidResult:
    """What a void of ``label`` (or of its ``package``) did, as the carrier answered ``voided``."""
    numbers = asked(label, package)
    return VoidResult(
        carrier=carrier,
        tracking_number=numbers[0] if package is not None else label.tracking_number,
        voided=voided,
        carrier_reference=label.carrier_reference,
        packages=numbers if voided else (),
    )


class RestMapping(Protocol):
    """What a carrier's ``_mapping`` module provides (``settings``: the carrier's :class:`RestSettings`
    subclass, typed ``Any`` because each module takes its own)."""

    #: JSON keys whose values never show in DEBUG logs (label images).
    REDACTED_KEYS: frozenset[str]
    #: How each operation may be retried, as the carrier treats a repeat (any other: only when the
    #: request never reached the carrier)...
    SAFETY: Mapping[str, Safety]
    #: ...and the operations that move money: an unresolved failure is OutcomeUnknown.
    MONEY: frozenset[str]

    def token_request(self, settings: Any) -> Request: ...

    def transaction_id(self, key: str) -> str: ...

    def headers(self, transaction_id: str) -> dict[str, str]: ...

    def rate_request(self, shipment: ShipmentRequest, settings: Any) -> Request: ...

    def parse_rates(self, body: Any, settings: Any, shipment: ShipmentRequest) -> list[Rate]: ...

    def ship_request(
        self, rate: Rate, shipment: ShipmentRequest, settings: Any, key: str, label_spec: LabelSpec | None = None
    ) -> Request: ...

    def parse_label(
        self, body: Any, rate: Rate, settings: Any, now: datetime, label_spec: LabelSpec | None = None
    ) -> Label: ...

    def void_request(self, label: Label, settings: Any, package: str | None) -> Request: ...

    def parse_void(self, body: Any, label: Label, package: str | None) -> VoidResult: ...

    def parse_error(
        self, status: int, body: Any, operation: str, transaction_id: str | None = None
    ) -> OneBalanceError: ...


class TrackingMapping(Protocol):
    """What a carrier's ``_mapping_tracking`` module provides."""

    def track_request(self, tracking_number: str) -> Request: ...

    def parse_tracking(self, body: Any, tracking_number: str) -> Tracking: ...
