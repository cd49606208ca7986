"""The REST carriers' JSON (``onebalance.core._json``): orjson first, and whatever orjson refuses decided by
the standard library exactly as before, so that no answer accepted before is refused now."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onebalance import ProtocolError
from onebalance.core import _json
from onebalance.core._config import decode_json


def _before(content: bytes | str) -> Any:
    """What ``decode_json`` did before orjson: ``json.loads`` with NaN and Infinity refused."""

    def refuse(name: str) -> Any:
        raise ValueError(name)

    return json.loads(content, parse_constant=refuse)


def _decode(content: bytes) -> Any:
    return decode_json(content, service="UPS", operation="ship", status=200)


DOCUMENT = {"a": [1, 2.5, "x", None, True], "é": {"b": "ü€𝄞"}, "c": -0.0}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"])
def test_bodies_in_every_json_encoding_still_decode(encoding: str) -> None:
    """orjson reads UTF-8 only; UTF-16/32 (BOM or RFC 4627's null bytes) and a UTF-8 BOM fall back."""
    content = json.dumps(DOCUMENT, ensure_ascii=False).encode(encoding)
    assert _decode(content) == DOCUMENT == _before(content)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32-be"])
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_in_every_encoding(constant: str, encoding: str) -> None:
    with pytest.raises(ProtocolError, match="not JSON"):
        _decode(f'{{"MonetaryValue": {constant}}}'.encode(encoding))
    # The sandboxes parse requests as json.loads always did: the constants are read there.
    value = _json.loads(f"[{constant}]".encode(encoding))[0]
    assert math.isnan(value) if constant == "NaN" else math.isinf(value)


@pytest.mark.parametrize("depth", [1025, 5000, 100_000])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_nesting_too_deep_is_a_protocol_error(depth: int, encoding: str) -> None:
    content = ("[" * depth + "]" * depth).encode(encoding)
    with pytest.raises(ProtocolError, match="not JSON"):
        _decode(content)


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe{",  # a UTF-16 BOM and then nothing readable
        b'{"a": "\xff"}',  # bad UTF-8 in a string
        b'{"a": "\xc3"}',  # a truncated UTF-8 sequence
        b"\x00{\x00",  # a null-byte pattern that is not UTF-16 either
        '{"a": 1'.encode("utf-16"),  # a broken document in UTF-16
        b'{"a": 1} x',
        b"",
        b"   ",
        b"<html>502</html>",
    ],
)
def test_what_was_not_json_is_still_not_json(content: bytes) -> None:
    with pytest.raises(ValueError):
        _before(content)
    with pytest.raises(ProtocolError, match="not JSON"):
        _decode(content)


@pytest.mark.parametrize(
    "content",
    [
        b'"\\ud800"',  # a lone surrogate, escaped
        b'"\xed\xa0\x80"',  # a lone surrogate in (not quite) UTF-8
        b"1e999",  # too large for a float: infinity, as json.loads reads it
        b'{"a": 1, "a": 2}',  # the last of repeated keys wins
        b'\xef\xbb\xbf{"a": 1}',
        b" \t\r\n[1] \n",
    ],
)
def test_what_orjson_refuses_but_json_read_is_still_read_the_same(content: bytes) -> None:
    assert repr(_decode(content)) == repr(_before(content))


def test_a_memoryview_or_text_decodes_and_anything_else_is_a_protocol_error() -> None:
    assert _json.loads(memoryview(b'{"a": 1}')) == {"a": 1}
    assert _decode('{"a": 1}') == {"a": 1}  # type: ignore[arg-type]
    with pytest.raises(ProtocolError):
        _decode(None)  # type: ignore[arg-type]


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_VALUES = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4), max_leaves=30
)


@given(_VALUES, st.sampled_from(["utf-8", "utf-16", "utf-32"]), st.booleans())
def test_decode_reads_what_json_read(value: Any, encoding: str, ascii_only: bool) -> None:
    try:
        content = json.dumps(value, ensure_ascii=ascii_only).encode(encoding)
    except UnicodeEncodeError:  # lone surrogates in the text: only the escaped form can be sent
        content = json.dumps(value).encode(encoding)
    assert repr(_decode(content)) == repr(_before(content))


@given(_VALUES)
def test_dumps_writes_what_json_wrote_keys_in_order(value: Any) -> None:
    written = _json.dumps(value)
    assert isinstance(written, bytes)
    assert repr(json.loads(written)) == repr(json.loads(json.dumps(value)))
    if isinstance(value, dict):
        assert list(json.loads(written)) == list(value)


def test_dumps_falls_back_for_what_orjson_cannot_encode() -> None:
    for value in ({1: "a", "b": 2}, [2**70], {"a": "\ud800"}):
        assert _json.dumps(value) == json.dumps(value).encode()
    for not_json in (Decimal("1.50"), {"a": object()}):
        with pytest.raises(TypeError):
            _json.dumps(not_json)
