"""The account mapping's fast ways give what the careful ones do.

``capabilities_from_wire`` copies the flags at once when every value but PerPrintLimit is a bool (as
the service sends them), else keeps the values that are bools one by one: either way, every value
of the wire dict that is a bool, in order, and nothing else (ints and decimals equal to True or
False, None, text are left out)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from onebalance.swsim import _mapping
from onebalance.swsim._mapping import capabilities_from_wire

VALUES = st.one_of(
    st.booleans(),
    st.booleans(),
    st.none(),
    st.sampled_from([0, 1, Decimal("1"), Decimal("0"), Decimal("5.00"), "true", ""]),
)
NAMES = st.sampled_from(["CanPrintShipping", "CanPurchasePostage", "CanPrintUPS", "IsIBIPEnabled", "PerPrintLimit"])


@given(wire=st.dictionaries(st.one_of(NAMES, st.text(max_size=4)), VALUES, max_size=12))
def test_the_flags_are_every_value_that_is_a_bool(wire):
    flags = _mapping._flags(wire)
    expected = {k: v for k, v in wire.items() if isinstance(v, bool)}
    assert flags == expected
    assert list(flags) == list(expected)
    assert all(type(v) is bool for v in flags.values())


def test_the_flags_the_service_sends_are_copied_whole():
    wire = {"CanPrintShipping": True, "PerPrintLimit": Decimal("922337203685477.5807"), "IsIBIPEnabled": False}
    capabilities = capabilities_from_wire(wire)
    assert capabilities.flags == {"CanPrintShipping": True, "IsIBIPEnabled": False}
    assert capabilities.per_print_limit is None and capabilities.can_print_shipping


@given(first=st.sampled_from([None, "", "1990 E Grand Ave"]), second=st.sampled_from([None, "", "Suite 2"]))
def test_an_address_keeps_its_street_lines_that_are_not_empty_in_order(first, second):
    wire = {name: line for name, line in (("Address1", first), ("Address2", second)) if line is not None}
    assert _mapping.address_from_wire(wire).street_lines == tuple(line for line in (first, second) if line)
