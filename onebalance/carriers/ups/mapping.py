"""Deprecated: UPS's mapping under its old public name, kept for one release.

The mapping is private now (``_mapping`` and ``_mapping_tracking``), named as FedEx's:
``rate_request`` / ``parse_rates``, ``ship_request`` / ``parse_label``, ``void_request`` /
``parse_void``, ``track_request`` / ``parse_tracking``, ``parse_error``. The old names below call
them and return what they used to (request bodies as dicts, paths as strings).
"""

from __future__ import annotations

import warnings
from datetime import datetime
from typing import Any

from onebalance.core import OneBalanceError
from onebalance.shipments import Label, LabelSpec, Rate, ShipmentRequest, Tracking, VoidResult

from .._rest._token import Token, read_token
from . import _mapping, _mapping_tracking
from ._mapping import API_VERSION, SERVICE_NAMES
from ._mapping_shipment import PACKAGING_CODES
from ._settings import UpsSettings

__all__ = [
    "API_VERSION",
    "PACKAGING_CODES",
    "SERVICE_NAMES",
    "Token",
    "parse_error",
    "parse_rate_response",
    "parse_ship_response",
    "parse_token_response",
    "parse_track_response",
    "parse_void_response",
    "rate_path",
    "rate_request",
    "ship_path",
    "ship_request",
    "token_form",
    "track_path",
    "trans_id",
    "void_path",
]

warnings.warn(
    "onebalance.carriers.ups.mapping (carriers.ups.mapping) is deprecated and goes in the next release; "
    "use UpsClient and UpsProxy",
    DeprecationWarning,
    stacklevel=2,
)


def _body(payload: Any) -> dict[str, Any]:
    return dict(payload or {})


def token_form() -> dict[str, str]:
    return {"grant_type": "client_credentials"}


def parse_token_response(body: Any, now: float) -> Token:
    return read_token(body, service="UPS", operation="token", now=now)


def trans_id(key: str) -> str:
    return _mapping.transaction_id(key)


def rate_path() -> str:
    return _mapping.RATE_PATH


def rate_request(shipment: ShipmentRequest, settings: UpsSettings, *, context: str | None = None) -> dict[str, Any]:
    return _body(_mapping.rate_request(shipment, settings, context=context).payload)


def parse_rate_response(body: Any, settings: UpsSettings, shipment: ShipmentRequest | None = None) -> list[Rate]:
    return _mapping.parse_rates(body, settings, shipment)


def ship_path() -> str:
    return _mapping.SHIP_PATH


def ship_request(
    rate: Rate, shipment: ShipmentRequest, settings: UpsSettings, *, context: str, label_format: str = "GIF"
) -> dict[str, Any]:
    spec = LabelSpec(format=label_format)
    return _body(_mapping.ship_request(rate, shipment, settings, context, spec).payload)


def parse_ship_response(body: Any, rate: Rate, settings: UpsSettings, now: datetime) -> Label:
    return _mapping.parse_label(body, rate, settings, now)


def void_path(label: Label, package: str | None = None) -> str:
    return _mapping.void_request(label, None, package).path


def parse_void_response(body: Any, label: Label, package: str | None = None) -> VoidResult:
    return _mapping.parse_void(body, label, package)


def track_path(tracking_number: str) -> str:
    return _mapping_tracking.TRACK_PATH + tracking_number


def parse_track_response(body: Any, tracking_number: str) -> Tracking:
    return _mapping_tracking.parse_tracking(body, tracking_number)


def parse_error(status: int, body: Any, *, operation: str, transaction_id: str | None = None) -> OneBalanceError:
    return _mapping.parse_error(status, body, operation, transaction_id)
