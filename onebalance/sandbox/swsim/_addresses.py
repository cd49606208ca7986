"""CleanseAddress, and the address checks CreateIndicium makes.

**CleanseAddress** upper-cases and trims every text field. A US address (Country omitted or
``US``) whose State is a USPS state code and whose ZIPCode is 5 digits other than ``00000``,
with an Address1, matches: AddressMatch and CityStateZipOK true, a ZIPCodeAddOn derived from the
address (deterministic), and ``CleanseHash``: an HMAC-SHA256 (key: the sandbox's secret, kept
with ``--state``) of the normalised Address1, Address2, City, State and ZIP. The street suffix
that ends Address1 is written as USPS abbreviates it, misspellings corrected (``STREET``,
``STRET`` → ``ST``; ``AVENUE``, ``AVENU`` → ``AVE``...: :data:`SUFFIXES`), and the hash is of
that corrected address. An unknown state or ZIP ``00000`` does not match: CityStateZipOK false
and one CandidateAddresses entry (the state taken from the ZIP's first digit, or a ZIP made from
the state), itself cleansed. In a valid city, state and ZIP, a street the sandbox cannot place
does not match either, CityStateZipOK true: an Address1 that is a house number and one name
without a suffix (``100 MAIN``) is ambiguous, with two cleansed candidates (``100 MAIN ST``,
``100 MAIN AVE``); an Address1 without a house number (no digit, and not a PO box) is not found
(no candidate). A missing Address1 does not match (no candidate). ``PO BOX`` in Address1/2
sets IsPOBox; ResidentialDeliveryIndicator is Yes without a Company, No with one, and
``Unknown`` for an address not matched.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any

from ._dispatch import Call
from ._state import SandboxState

_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC "
    "ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP AA AE AP"
)
STATES = frozenset(_STATE_CODES.split())
_STATE_BY_DIGIT = dict(zip("0123456789", ("MA", "NY", "VA", "FL", "OH", "MN", "IL", "TX", "CO", "CA"), strict=True))
_ZIP = re.compile(r"\d{5}")
_PO_BOX = re.compile(r"\bP\.?\s*O\.?\s*BOX\b")
#: USPS's abbreviation of a few street suffixes, and the spellings the sandbox corrects to it.
SUFFIXES = {
    "ST": ("STREET", "STR", "STRT", "STRET", "STREEET", "SREET"),
    "AVE": ("AVENUE", "AV", "AVEN", "AVENU", "AVNUE", "AVN"),
    "RD": ("ROAD",),
    "DR": ("DRIVE", "DRV", "DIRVE"),
    "BLVD": ("BOULEVARD", "BOULV", "BLVRD"),
    "LN": ("LANE",),
    "CT": ("COURT",),
    "PL": ("PLACE",),
    "WAY": ("WY",),
    "LOOP": (),
    "PKWY": ("PARKWAY",),
    "HWY": ("HIGHWAY",),
    "CIR": ("CIRCLE",),
    "TER": ("TERRACE",),
    "SQ": ("SQUARE",),
    "PLZ": ("PLAZA",),
}
_SUFFIX = {spelling: code for code, spellings in SUFFIXES.items() for spelling in (code, *spellings)}
_AMBIGUOUS = re.compile(r"(\d+) ([A-Z][A-Z'-]*)")
_TEXT_FIELDS = ("FullName", "Company", "Address1", "Address2", "Address3", "City", "State", "Country", "Urbanization")


# -- addresses -------------------------------------------------------------------------------------
def normalise(address: dict[str, Any]) -> dict[str, Any]:
    out = dict(address)
    for name in _TEXT_FIELDS:
        if isinstance(out.get(name), str):
            out[name] = " ".join(out[name].upper().split())
    for name in ("ZIPCode", "ZIPCodeAddOn"):
        if isinstance(out.get(name), str):
            out[name] = out[name].strip()
    return out


def _key(address: dict[str, Any]) -> str:
    return "|".join(str(address.get(n) or "") for n in ("Address1", "Address2", "City", "State", "ZIPCode"))


def cleanse_hash(state: SandboxState, address: dict[str, Any]) -> str:
    """The sandbox's CleanseHash of ``address`` (normalised first)."""
    digest = hmac.new(state.secret.encode(), _key(normalise(address)).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def valid_place(address: dict[str, Any]) -> tuple[bool, bool]:
    """(state valid, ZIP valid) of a normalised address."""
    zip_ = address.get("ZIPCode") or ""
    return address.get("State") in STATES, bool(_ZIP.fullmatch(zip_)) and zip_ != "00000"


def _cleansed(state: SandboxState, address: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in address.items() if k not in ("CleanseHash", "OverrideHash")}
    add_on = int.from_bytes(hashlib.sha256(_key(out).encode()).digest()[:4], "big") % 10000
    out["ZIPCodeAddOn"] = f"{add_on:04d}"
    out["Country"] = out.get("Country") or "US"
    out["CleanseHash"] = cleanse_hash(state, out)
    return out


def _standard_street(line: str) -> str:
    """``line`` with its last word, a street suffix, as USPS abbreviates it."""
    words = line.split(" ")
    words[-1] = _SUFFIX.get(words[-1], words[-1])
    return " ".join(words)


def _street(state: SandboxState, address: dict[str, Any]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The street of an address in a valid place: (the corrected address, no candidates) when the
    sandbox can place it; (None, candidates) when it cannot (ambiguous: two; not found: none)."""
    line = str(address.get("Address1") or "")
    second = f"{line} {address.get('Address2') or ''}"
    ambiguous = _AMBIGUOUS.fullmatch(line)
    if ambiguous is not None and ambiguous.group(2) not in _SUFFIX:
        return None, [_cleansed(state, {**address, "Address1": f"{line} {suffix}"}) for suffix in ("ST", "AVE")]
    if not any(ch.isdigit() for ch in line) and not _PO_BOX.search(second):
        return None, []
    return {**address, "Address1": _standard_street(line)}, []


def cleanse_address(call: Call) -> dict[str, Any]:
    address = normalise(call.request["Address"])
    domestic = (address.get("Country") or "US") == "US"
    state_ok, zip_ok = valid_place(address)
    place_ok = domestic and state_ok and zip_ok
    candidates: list[dict[str, Any]] = []
    placed = None
    if place_ok and address.get("Address1"):
        placed, candidates = _street(call.state, address)
    match = placed is not None
    if domestic and not place_ok and address.get("Address1") and (state_ok or zip_ok):
        candidate = dict(address)
        if not state_ok:
            candidate["State"] = _STATE_BY_DIGIT[candidate["ZIPCode"][0]]
        else:
            digit = next((d for d, s in _STATE_BY_DIGIT.items() if s == candidate["State"]), "2")
            candidate["ZIPCode"] = f"{digit}0001"
        candidates.append(_cleansed(call.state, candidate))
    elif domestic and not place_ok and address.get("Address1"):
        candidate = {**address, "State": "CA", "ZIPCode": "90245"}
        candidates.append(_cleansed(call.state, candidate))
    po_box = bool(_PO_BOX.search(f"{address.get('Address1') or ''} {address.get('Address2') or ''}"))
    return {
        "Address": _cleansed(call.state, placed) if placed is not None else address,
        "AddressMatch": match,
        "CityStateZipOK": place_ok,
        "ResidentialDeliveryIndicator": ("No" if address.get("Company") else "Yes") if match else "Unknown",
        "IsPOBox": po_box,
        "CandidateAddresses": {"Address": candidates} if candidates else {},
        "StatusCodes": {"ReturnCode": 31 if match else 22},
        "AddressCleansingResult": "Full Address Verified." if match else "Invalid Address.",
        "VerificationLevel": "Maximum" if match else ("Partial" if place_ok else "None"),
    }
