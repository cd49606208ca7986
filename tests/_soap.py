"""The SWSIM codec as the tests use it: to build and read raw envelopes and to check them against
the schema. Its home in the package is private (``onebalance.swsim._soap``) and may move; the tests
name it through this one module, so that a move changes one file, not twenty."""

from __future__ import annotations

from onebalance.swsim._soap._codec import decode, encode, parse_simple
from onebalance.swsim._soap._envelope import (
    SoapFault,
    body_child,
    build,
    build_fault,
    read_fault,
    read_request,
    read_response,
)
from onebalance.swsim._soap._schema import Complex, Field, Schema, SchemaError, Simple, swsim_schema
from onebalance.swsim._soap._versions import DEFAULT_VERSION, VERSIONS, SwsimVersion
from onebalance.swsim._soap._xml import MAX_XML_BYTES, UnsafeXML, parse

__all__ = [
    "DEFAULT_VERSION",
    "MAX_XML_BYTES",
    "VERSIONS",
    "Complex",
    "Field",
    "Schema",
    "SchemaError",
    "Simple",
    "SoapFault",
    "SwsimVersion",
    "UnsafeXML",
    "body_child",
    "build",
    "build_fault",
    "decode",
    "encode",
    "parse",
    "parse_simple",
    "read_fault",
    "read_request",
    "read_response",
    "swsim_schema",
]
