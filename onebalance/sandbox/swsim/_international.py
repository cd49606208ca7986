"""USPS international mail in the sandbox: the services by destination, the Customs CreateIndicium needs.

A destination is **abroad** when the To address's Country is not one USPS addresses with ZIP codes
(``DOMESTIC_COUNTRIES``: the US, its territories and the freely associated states). On both
versions (v111 and v135 list the same three international ServiceType values):

========  =====================================  ==========  ============  ==========  ===========
Service   Name                                   base        per lb        limit       DeliverDays
========  =====================================  ==========  ============  ==========  ===========
US-FCI    First-Class Package International      $15.75      $4.10         4 lb        7-21
US-PMI    Priority Mail International            $44.50      $5.35         66 lb       6-10
US-EMI    Priority Mail Express International    $58.75      $6.60         66 lb       3-5
========  =====================================  ==========  ============  ==========  ===========

``Package`` and ``Large Envelope or Flat`` (at most 13 oz) are priced ``base + per_lb * ceil(lb) *
group factor`` (at least 1 lb; factor ``1 + 0.12 * (group - 1)``), rounded half-up to the cent; the
price group comes from the destination country (``PRICE_GROUPS``: Canada 1, Mexico 2, ..., any
other country 7). Priority Mail International and Express International also sell their flat-rate
envelopes and boxes (``FLAT_RATES``), priced by group. The figures are the sandbox's own, not USPS's.
USPS does not send mail to North Korea (``NO_SERVICE``): no rates.

**Services by destination.** GetRates for a destination abroad answers only the international
services; for a domestic one only the domestic services. Asking for a service that does not go there
(``US-PM`` abroad, ``US-PMI`` to a US address), at GetRates or CreateIndicium, is fault 002b090b.

**Customs.** CreateIndicium to a destination abroad needs ``Customs`` (``CustomsV7`` on v111,
``CustomsV8`` on v135; the same fields): without it, fault 002b090a; with it, each of these is fault
002b090a too, the message naming what is missing (``check_customs``): no customs line; ContentType
``Other`` without ``OtherDescribe``; a line without weight (``WeightLb``/``WeightOz`` both 0); lines
weighing more than the package; goods (every ContentType but ``Document``) declared at $0 in all.
A destination abroad takes no CleanseHash: its Address1, City and Country must be there (00450140
otherwise). The To address keeps its Province and PostalCode as sent.

**The customs form.** An international label's response carries ``FormURL``:
``<site>/sandbox/labels/<StampsTxID>-customs.pdf``, a PDF customs declaration (CN22 for
First-Class Package International, CN23 for the others), 410 once the label is voided. Its tracking
number is an S10 one (``LX`` / ``CP`` / ``EA`` + 8 digits + check digit + ``US``).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .._shared import _images
from . import _errors as faults
from ._account_models import Label
from ._errors import SandboxFault
from ._rates import CENT, LETTER_FLAT_OUNCES, Service, ounces, rate_entry

#: Countries USPS addresses with ZIP codes: mail there is domestic.
DOMESTIC_COUNTRIES = frozenset({"US", "PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW"})
#: Where USPS sends no mail at all.
NO_SERVICE = frozenset({"KP"})

SERVICES: dict[str, Service] = {
    s.code: s
    for s in (
        Service(
            "US-FCI", "USPS First-Class Package International", Decimal("15.75"), Decimal("4.10"), Decimal(64), (7, 21)
        ),
        Service(
            "US-PMI", "USPS Priority Mail International", Decimal("44.50"), Decimal("5.35"), Decimal(66 * 16), (6, 10)
        ),
        Service(
            "US-EMI",
            "USPS Priority Mail Express International",
            Decimal("58.75"),
            Decimal("6.60"),
            Decimal(66 * 16),
            (3, 5),
        ),
    )
}
#: The customs form each service's label carries (its title in the PDF).
FORMS = {"US-FCI": "CN22", "US-PMI": "CN23", "US-EMI": "CN23"}
#: The customs form of each kind: a one-page PDF titled with its name.
FORM_PDFS = {name: _images._pdf(f"SANDBOX CUSTOMS DECLARATION {name}".encode()) for name in ("CN22", "CN23")}
#: The S10 tracking prefix of each service.
S10_PREFIX = {"US-FCI": "LX", "US-PMI": "CP", "US-EMI": "EA"}

#: Destination country -> price group (any other country: ``DEFAULT_GROUP``).
PRICE_GROUPS: dict[str, int] = {
    "CA": 1,
    "MX": 2,
    **dict.fromkeys(
        ("GB", "IE", "DE", "FR", "NL", "BE", "LU", "IT", "ES", "PT", "AT", "CH", "DK", "SE", "NO", "FI"), 5
    ),
    **dict.fromkeys(("AU", "NZ"), 6),
    **dict.fromkeys(("JP", "KR", "CN", "HK", "TW", "SG"), 4),
}
DEFAULT_GROUP = 7
ZONED_PACKAGES = ("Package", "Large Envelope or Flat")
FLAT_RATES: dict[str, dict[str, Decimal]] = {
    "US-PMI": {
        "Flat Rate Envelope": Decimal("32.10"),
        "Small Flat Rate Box": Decimal("33.20"),
        "Flat Rate Box": Decimal("78.40"),
        "Large Flat Rate Box": Decimal("101.75"),
    },
    "US-EMI": {"Flat Rate Envelope": Decimal("52.40")},
}


def abroad(address: dict[str, Any]) -> bool:
    """Whether ``address`` (a wire Address) is outside the ZIP code system."""
    return str(address.get("Country") or "US").upper() not in DOMESTIC_COUNTRIES


def group(country: str) -> int:
    return PRICE_GROUPS.get(country.upper(), DEFAULT_GROUP)


def price(service: Service, package: str, weight_oz: Decimal, group_: int) -> Decimal | None:
    """The price, or None when the service has no such package or the weight is out of bounds."""
    if weight_oz <= 0 or weight_oz > service.max_ounces:
        return None
    factor = Decimal(1) + Decimal("0.12") * (group_ - 1)
    flat = FLAT_RATES.get(service.code, {}).get(package)
    if flat is not None:
        return (flat * factor).quantize(CENT, rounding=ROUND_HALF_UP)
    if package not in ZONED_PACKAGES or (package == "Large Envelope or Flat" and weight_oz > LETTER_FLAT_OUNCES):
        return None
    pounds = max(1, math.ceil(weight_oz / 16))
    return (service.base + service.per_lb * pounds * factor).quantize(CENT, rounding=ROUND_HALF_UP)


def check_service(service: str | None, to: dict[str, Any]) -> None:
    """002b090b when ``service`` does not go to ``to`` (domestic abroad, international at home)."""
    if service in (None, "Unknown"):
        return
    international = service in SERVICES
    if abroad(to) and not international:
        raise SandboxFault(
            faults.SERVICE_NOT_FOR_DESTINATION,
            f"{service} is a domestic service: it does not go to {to.get('Country')}; use US-FCI, US-PMI or US-EMI.",
        )
    if not abroad(to) and international:
        raise SandboxFault(
            faults.SERVICE_NOT_FOR_DESTINATION,
            f"{service} is an international service: it does not go to a US address.",
        )


def rates(request: dict[str, Any], offered: frozenset[str]) -> list[dict[str, Any]]:
    """The international rates matching the request's Rate (its To abroad) among the ``offered`` services."""
    to = request.get("To") or {}
    country = str(to.get("Country") or "").upper()
    if country in NO_SERVICE:
        return []
    wanted_service, wanted_package = request.get("ServiceType"), request.get("PackageType")
    weight = ounces(request)
    out: list[dict[str, Any]] = []
    for service in SERVICES.values():
        if service.code not in offered or wanted_service not in (None, "Unknown", service.code):
            continue
        for package in (*ZONED_PACKAGES, *FLAT_RATES.get(service.code, {})):
            if wanted_package not in (None, "Unknown", package):
                continue
            amount = price(service, package, weight, group(country))
            if amount is None:
                continue
            out.append(rate_entry(request, service, package, amount))
    return out


def check_destination(to: dict[str, Any]) -> None:
    """00450140 when an address abroad lacks its street, city or country."""
    if not (to.get("Address1") and to.get("City") and to.get("Country")):
        raise SandboxFault(faults.INVALID_DESTINATION)


def _incomplete(what: str) -> SandboxFault:
    return SandboxFault(faults.CUSTOMS_REQUIRED, f"Customs information is incomplete: {what}.")


def check_customs(customs: dict[str, Any] | None, rate: dict[str, Any]) -> None:
    """002b090a when a label abroad has no Customs, or Customs the customs form cannot be made from."""
    if not customs:
        raise SandboxFault(faults.CUSTOMS_REQUIRED)
    lines = [line for group_ in (customs.get("CustomsLines") or {}).values() for line in (group_ or []) if line]
    if not lines:
        raise _incomplete("at least one CustomsLine is required")
    if customs.get("ContentType") == "Other" and not customs.get("OtherDescribe"):
        raise _incomplete("OtherDescribe is required when the ContentType is Other")
    weight = Decimal(0)
    for index, line in enumerate(lines, start=1):
        line_oz = ounces(line)
        if line_oz <= 0:
            raise _incomplete(f"CustomsLine {index} has no weight")
        weight += line_oz
    if weight > ounces(rate) + Decimal("0.01"):
        raise _incomplete("the customs lines weigh more than the package")
    if customs.get("ContentType") != "Document" and sum(Decimal(str(line["Value"])) for line in lines) <= 0:
        raise _incomplete("goods must declare their value")


def s10(prefix: str, serial: int) -> str:
    """An S10 (UPU) tracking number: two letters, 8 digits, the check digit, ``US``."""
    digits = f"{serial % 10**8:08d}"
    total = sum(int(d) * w for d, w in zip(digits, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    check = 11 - total % 11
    check = 5 if check == 11 else 0 if check == 10 else check
    return f"{prefix}{digits}{check}US"


def deliver_days(service: str) -> int:
    return SERVICES[service].days[1]


def form(label: Label) -> tuple[str, str, bytes]:
    """The label's customs form: (extension, Content-Type, the PDF)."""
    return "pdf", "application/pdf", FORM_PDFS[FORMS.get(label.service_type, "CN23")]
