"""What an earlier command named, found again: a label's carrier, a rate saved by ``ship rates --json``.

``ship void`` and ``ship track`` take a tracking number and find its carrier: the label journal
first (the carrier the label was bought from), then the number's form. The forms, tried only when
the journal does not know the number and ``--carrier`` is not given (also in ``docs/support.md``):

* USPS: 20 or 22 digits starting with 91 to 95 (IMpb: ``9400...``, ``9205...``, ``9270...``), or
  2 letters, 9 digits and ``US`` (international, e.g. ``EC123456789US``);
* UPS: ``1Z`` then 16 letters or digits;
* FedEx: 12 or 15 digits.

``ship buy --from-rates FILE --rate ID`` buys a rate of a saved ``ship rates --json`` output:
the file carries the merchant and the shipment the rates were for, so the label is bought for
that same shipment (rated again at the carrier, as every purchase is), not for options typed again.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from onebalance.carriers import Shipping
from onebalance.shipments import Carrier, Rate

_FORMS = (
    (Carrier.USPS, re.compile(r"9[1-5]\d{18}(?:\d{2})?|[A-Z]{2}\d{9}US")),
    (Carrier.UPS, re.compile(r"1Z[A-Z0-9]{16}")),
    (Carrier.FEDEX, re.compile(r"\d{12}|\d{15}")),
)


def carrier_of(tracking_number: str) -> Carrier | None:
    """The one carrier whose form ``tracking_number`` has (spaces ignored, any case), or None."""
    number = re.sub(r"\s+", "", tracking_number).upper()
    found = [carrier for carrier, form in _FORMS if form.fullmatch(number)]
    return found[0] if len(found) == 1 else None


def find_carrier(shipping: Shipping, number: str) -> tuple[Carrier | None, str]:
    """The carrier of a tracking number or label id, and how it was found (for messages): the label
    journal, else the number's form; None when neither tells."""
    in_journal = [c for c in Carrier if shipping.find_label(c, number) is not None]
    if len(in_journal) == 1:
        return in_journal[0], "the label journal"
    if not in_journal:
        by_form = carrier_of(number)
        if by_form is not None:
            return by_form, "the tracking number's form"
    return None, ""


def rate_id(rate: Rate) -> str:
    """How ``ship rates`` names a rate for ``ship buy --rate``: ``carrier:service`` (``ups:03``)."""
    return f"{rate.carrier.value}:{rate.service_code}"


class RatesFileError(ValueError):
    """The saved rates cannot be used: the message says why."""


def read_rates(path: Path, merchant_id: str, wanted: str) -> tuple[dict[str, Any], Carrier, str]:
    """The shipment's option values, the carrier and the service of rate ``wanted`` (a rate id, or
    ``cheapest`` / ``fastest``) in the ``ship rates --json`` output saved in ``path``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RatesFileError(f"cannot read {path}: {type(exc).__name__}") from None
    if not isinstance(data, dict) or not isinstance(data.get("shipment"), dict) or "rates" not in data:
        raise RatesFileError(
            f"{path} is not the output of `onebalance ship rates --json` (no shipment and rates in it); save it "
            "with `ship rates ... --json > FILE`"
        )
    if data.get("merchant_id") != merchant_id:
        raise RatesFileError(f"the rates in {path} are for merchant {data.get('merchant_id')}, not {merchant_id}")
    chosen = data.get(wanted) if wanted in ("cheapest", "fastest") else None
    if chosen is None:
        chosen = next((r for r in data["rates"] if isinstance(r, dict) and r.get("rate_id") == wanted), None)
    if not isinstance(chosen, dict) or "carrier" not in chosen or "service" not in chosen:
        ids = ", ".join(str(r.get("rate_id")) for r in data["rates"] if isinstance(r, dict)) or "none"
        raise RatesFileError(f"no rate {wanted} in {path} (its rates: {ids}; or cheapest, fastest)")
    values = dict(data["shipment"])
    try:
        carrier = Carrier(chosen["carrier"])
        values["from_street"] = tuple(values["from_street"])
        values["to_street"] = tuple(values["to_street"])
        values["ship_date"] = datetime.fromisoformat(values["ship_date"]) if values.get("ship_date") else None
    except (KeyError, TypeError, ValueError) as exc:
        raise RatesFileError(f"the shipment in {path} is incomplete or altered ({type(exc).__name__})") from None
    return values, carrier, str(chosen["service"])


__all__ = ["RatesFileError", "carrier_of", "find_carrier", "rate_id", "read_rates"]
