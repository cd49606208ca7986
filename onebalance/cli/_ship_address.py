"""``ship check-address``: a US address checked by USPS (CleanseAddress, through the merchant's One
Balance): the corrected address, matched or not, residential or commercial, the candidates when
USPS could not choose.

Exit codes: 0 matched; 1 not matched (ambiguous: the candidates are listed, check the one meant
again; not found: ``AddressNotFound``) or the service failed; 2 bad input, such as an address
abroad (nothing sent); 4 configuration.
"""

from __future__ import annotations

from typing import Any

import click

from onebalance.carriers import CleansedAddress
from onebalance.core import ValidationError
from onebalance.shipments import Address

from ._common import EXIT_FAILED, _Context, _fail, merchant_id_argument
from ._ship_options import out, run, shipping_of

_OPTION = {"street_lines": "street", "postal_code": "zip", "state": "state", "city": "city", "country": "country"}


def _address(values: dict[str, Any]) -> Address:
    try:
        address = Address(
            name=values["name"],
            company=values["company"],
            street_lines=list(values["street"]),
            city=values["city"],
            state=values["state"],
            postal_code=values["zip"],
            country=values["country"] or "US",
        )
    except ValidationError as exc:
        field = (exc.field or "").split(".")[0]
        text = exc.message.split(": ", 1)[-1]
        raise ValidationError(f"--{_OPTION.get(field, field)}: {text}", field=f"address.{field}") from None
    if not address.uses_zip_codes:
        raise ValidationError(
            f"--country: USPS checks addresses of the US ZIP code system only (the US and its territories), not "
            f"{address.country}",
            field="address.country",
        )
    return address


def _where(address: Address) -> str:
    """The address on one line, without the name (USPS checks the place)."""
    region = " ".join(part for part in (address.state, address.postal_code) if part)
    return ", ".join(part for part in (address.company, *address.street_lines, address.city, region) if part)


def _residential(check: CleansedAddress) -> str:
    return {True: "residential", False: "commercial", None: "unknown"}[check.residential]


def check_json(check: CleansedAddress, original: Address) -> dict[str, Any]:
    """A check as ``--json`` prints it."""
    return {
        "matched": check.match,
        "ambiguous": check.ambiguous,
        "corrected": check.corrected(original),
        "city_state_zip_ok": check.city_state_zip_ok,
        "residential": check.residential,
        "po_box": check.is_po_box,
        "address": check.address.model_dump(mode="json"),
        "candidates": [candidate.model_dump(mode="json") for candidate in check.candidates],
        "cleanse_hash": check.cleanse_hash,
    }


def check_text(check: CleansedAddress, original: Address) -> str:
    """A check as the command prints it."""
    if check.ambiguous:
        lines = ["ambiguous: USPS could not choose between these addresses (check the one meant again):"]
        lines += [f"  {index}. {_where(candidate)}" for index, candidate in enumerate(check.candidates, start=1)]
        return "\n".join(lines)
    lines = [f"matched:     {_where(check.address)}"]
    if check.corrected(original):
        lines.append(f"corrected:   from {_where(original)}")
    lines.append(f"delivery:    {_residential(check)}" + (", a PO box" if check.is_po_box else ""))
    return "\n".join(lines)


@click.command("check-address")
@merchant_id_argument()
@click.option("--street", multiple=True, required=True, help="A street line (repeat for a second line).")
@click.option("--city", required=True)
@click.option("--state", required=True, help="Two-letter state code.")
@click.option("--zip", "zip_code", required=True, help="ZIP or ZIP+4.")
@click.option("--company", help="The company at the address (USPS tells a business address from a home).")
@click.option("--name", default="Current Resident", show_default=True, help="The name at the address.")
@click.option("--country", help="US (default) or a US territory (PR, GU, VI...): USPS checks no other.")
@click.pass_obj
def check_address(
    ctx: _Context,
    /,
    merchant_id: str,
    street: tuple[str, ...],
    city: str,
    state: str,
    zip_code: str,
    company: str | None,
    name: str,
    country: str | None,
) -> None:
    """Check a US address with USPS: the corrected address, residential or commercial, the candidates
    when it is ambiguous (one CleanseAddress through the merchant's One Balance; it costs nothing)."""
    values = {"name": name, "company": company, "street": street, "city": city, "state": state, "zip": zip_code}
    address = run(lambda: _address({**values, "country": country}))
    shipping = shipping_of(ctx, merchant_id)
    check = run(lambda: shipping.check_address(address))
    out(ctx, {"merchant_id": merchant_id, **check_json(check, address)}, check_text(check, address))
    if not check.match:
        _fail(EXIT_FAILED, "the address is ambiguous: pick one of the candidates and check it again")


__all__ = ["check_address", "check_json", "check_text"]
