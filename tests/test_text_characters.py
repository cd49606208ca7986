"""Text printed on a label refuses control and invisible characters, for every carrier and the CLI.

A name such as ``Ada\\x1b[31mX`` (an ANSI escape), ``\\u202e`` (right-to-left override) or a NUL
used to reach UPS and FedEx as it was, and UPS sold the label. Now the models refuse it before
anything is sent: the carrier-neutral Address, shipment and parcel references, and the One
Balance registration and payment inputs. Whitespace at the ends is trimmed.
"""

from __future__ import annotations

import sys
import unicodedata
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carriers import Address, Parcel, ShipmentRequest, Weight
from onebalance import BankAccount, CreditCard, PostalAddress, RegistrationForm, StoreProfile, ValidationError
from onebalance.core._text import REFUSED_CATEGORIES, SPACES, TRIMMED, one_line

CATEGORIES = sorted(REFUSED_CATEGORIES)
ADDRESS = {"name": "Ada Lovelace", "street_lines": ["1 Main St"], "city": "Springfield", "state": "IL",
           "postal_code": "62701"}  # fmt: skip
TEXT_FIELDS = ("name", "company", "street_lines", "city")
# The characters the attack used, each named in the message that refuses it.
NAMED = {"\x00": "NUL", "\x07": "BEL", "\x1b": "ESC", "\x7f": "DEL", "\u202e": "RIGHT-TO-LEFT OVERRIDE",
         "\ufeff": "ZERO WIDTH NO-BREAK SPACE", "\n": "LF", "\t": "TAB", "\u2028": "LINE SEPARATOR"}  # fmt: skip

refused = st.characters(categories=CATEGORIES)  # type: ignore[arg-type]
letters = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=8)  # type: ignore[arg-type]


def address(field: str, value: str) -> Address:
    return Address(**{**ADDRESS, field: [value] if field == "street_lines" else value})


def refusal(make: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        make()  # type: ignore[operator]
    return caught.value


@settings(max_examples=150, deadline=None)
@given(field=st.sampled_from(TEXT_FIELDS), before=letters, bad=refused, after=letters)
def test_every_refused_category_is_refused_in_every_address_text_field(field, before, bad, after):
    error = refusal(lambda: address(field, before + bad + after))
    assert error.field is not None and error.field.startswith(field)
    assert f"U+{ord(bad):04X}" in error.message
    if bad.isprintable() and len(before) > 2:  # the text refused is never repeated
        assert before + bad not in error.message


@settings(max_examples=60, deadline=None)
@given(bad=refused.filter(lambda c: c not in TRIMMED), at_start=st.booleans())
def test_a_refused_character_at_either_end_is_refused_not_trimmed(bad, at_start):
    text = bad + "Ada" if at_start else "Ada" + bad
    assert refusal(lambda: address("name", text)).field == "name"


@pytest.mark.parametrize(("char", "name"), sorted(NAMED.items()))
def test_the_attack_characters_are_refused_by_name(char, name):
    error = refusal(lambda: address("name", f"Ada{char}[31mX"))
    assert error.message.startswith("name: must not contain control or invisible characters")
    assert f"U+{ord(char):04X} ({name}) found" in error.message


@settings(max_examples=100, deadline=None)
@given(words=st.lists(letters, min_size=1, max_size=3), lead=st.text(TRIMMED, max_size=3),
       trail=st.text(TRIMMED, max_size=3), gap=st.text(SPACES, min_size=1, max_size=3))  # fmt: skip
def test_whitespace_at_the_ends_is_trimmed_and_spaces_inside_become_one(words, lead, trail, gap):
    text = lead + gap.join(words) + trail
    expected = " ".join(words)
    if len(expected) <= 30:
        made = address("city", text)
        assert made.city == expected
        assert made.street_lines == ("1 Main St",)
    assert one_line(text) == (expected, None)


def test_a_trailing_newline_is_trimmed_but_a_line_break_inside_is_refused():
    assert address("name", "Ada Lovelace\r\n").name == "Ada Lovelace"
    assert address("street_lines", "\t1 Main St\n").street_lines == ("1 Main St",)
    assert "U+000A (LF)" in refusal(lambda: address("street_lines", "1 Main St\nApt 2")).message
    assert "U+0009 (TAB)" in refusal(lambda: address("company", "Acme\tInc")).message


def test_the_space_list_is_every_unicode_space_separator():
    zs = {chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Zs"}
    assert set(SPACES) == zs


def test_shipment_and_parcel_references_refuse_them_too():
    parcel = Parcel(weight=Weight(1, "lb"))
    made = Address(**ADDRESS)
    ship_date = date.today() + timedelta(days=1)
    assert refusal(lambda: Parcel(weight=Weight(1, "lb"), reference="PO\x1b1")).field == "reference"
    error = refusal(lambda: ShipmentRequest(shipper=made, recipient=made, parcels=[parcel], ship_date=ship_date,
                                            reference="order\u202e1"))  # fmt: skip
    assert error.field == "reference"
    assert Parcel(weight=Weight(1, "lb"), reference=" PO 1\n").reference == "PO 1"


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\u202e", "\ufeff", "\u2029"])
def test_the_one_balance_registration_and_payment_inputs_refuse_them(char):
    assert refusal(lambda: RegistrationForm(name=f"Ada{char}X")).field == "name"
    form = RegistrationForm(company="Acme\n")
    assert form.company == "Acme"
    for name in ("company", "city"):
        assert refusal(lambda name=name: setattr(form, name, f"x{char}y")).field == name
    for lines, field in (((f"x{char}y",), "street_lines.0"), (("1 Main St", f"x{char}y"), "street_lines.1")):
        assert refusal(lambda lines=lines: setattr(form, "street_lines", lines)).field == field
    assert form.company == "Acme"  # a refused assignment changes nothing
    profile = {"store_name": "Acme", "owner_name": "Ada", "street_lines": ("1 Main St",), "city": "Austin",
               "state": "TX", "postal_code": "78701", "email": "ada@example.com", "phone": "5125550100"}  # fmt: skip
    for name in ("store_name", "owner_name", "city"):
        assert refusal(lambda name=name: StoreProfile(**{**profile, name: f"x{char}y"})).field == name
    assert refusal(lambda: StoreProfile(**{**profile, "street_lines": (f"x{char}y",)})).field == "street_lines.0"
    bank = {"bank_name": "First Bank", "routing_number": "011000015", "account_number": "123456789",
            "holder_name": "Ada"}  # fmt: skip
    assert refusal(lambda: BankAccount(**{**bank, "holder_name": f"Ada{char}"})).field == "holder_name"
    card = {"number": "4111111111111111", "expiration_month": 12, "expiration_year": date.today().year + 2}
    billing = PostalAddress(name=f"Ada{char}", street_lines=("1 Main St",), city="Austin")
    assert refusal(lambda: CreditCard(**card, billing_address=billing)).field == "billing_address.name"
    billing = PostalAddress(name="Ada", street_lines=("1 Main St", f"Suite{char}2"), city="Austin")
    field = refusal(lambda: CreditCard(**card, billing_address=billing)).field
    assert field == "billing_address.street_lines.1"
