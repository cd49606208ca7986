"""Item 1 (and 5): client CPU per operation with the network taken out, beside the floor and zeep.

Every client here talks through the same ``requests`` session whose adapter answers from a
canned response (recorded from the in-process sandbox at the start of the run), so ``requests``
costs the same on every side and only the network is missing:

* **sdk**: the SDK's public call (``OneBalance.account()``, ``purchase_postage``, USPS
  ``CreateIndicium`` as ``UspsShipping.buy`` sends it, ``UpsClient.buy``): request mapping,
  envelope, checks, decoding and the result models;
* **floor**: the cheapest correct code for the same operation: the request written as text (a
  string template, as the SDK writes its envelopes; ``json`` for UPS), the same values read from
  the answer with lxml (or json) into plain typed values, no checks and no models; over
  ``requests`` it reads the environment (proxies, CA bundle) once, as the SDK does, not on every
  call (:class:`EnvOnce`);
* **old floor** (for comparison only, labelled as such): the floor of rounds 1 to 3, which built
  the request as an lxml tree and posted with ``session.post``, reading the environment on
  every call: lower than a real client by neither measure, so it flattered the SDK;
* **naive**: zeep by hand (one zeep service built from the same WSDL), for the SOAP operations.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

import requests
from _common import (
    WSDL,
    BareSession,
    Recorder,
    Row,
    Sent,
    canned_session,
    cpu_per_call,
    fmt_us,
    shipment,
    soap_action,
    worst,
)
from lxml import etree

from carriers import Carrier
from carriers.ups import UpsClient, UpsSettings
from onebalance import InMemoryPostageRecords, OneBalance, Postage, UspsShipping
from onebalance.carriers.ups import _mapping as ups_mapping
from onebalance.carriers.usps import _mapping as usps_mapping
from onebalance.sandbox import Sandbox
from onebalance.sandbox.ups import UpsSandbox
from onebalance.swsim import build, swsim_schema

NS = "http://stamps.com/xml/namespace/2023/07/swsim/SwsimV135"
ENV = "http://schemas.xmlsoap.org/soap/envelope/"
URL = "https://swsim.bench.test/swsim/swsimv135.asmx"
UPS_URL = "https://ups.bench.test"
PASSWORD = "Bench-passw0rd"
TOKEN = "token"  # the Authenticator the floors send (the canned answers do not read it)
TARGET = 1.5


# -- the hand-written floor ----------------------------------------------------------------------------
def _text(value: Any) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _append(parent: etree._Element, name: str, value: Any) -> None:
    for one in value if isinstance(value, list) else [value]:
        node = etree.SubElement(parent, f"{{{NS}}}{name}")
        if isinstance(one, Mapping):
            for key, item in one.items():
                _append(node, key, item)
        else:
            node.text = _text(one)


def hand_envelope(operation: str, fields: Mapping[str, Any]) -> bytes:
    env = etree.Element(f"{{{ENV}}}Envelope", nsmap={"soap": ENV})
    body = etree.SubElement(env, f"{{{ENV}}}Body")
    request = etree.SubElement(body, f"{{{NS}}}{operation}", nsmap={None: NS})  # type: ignore[dict-item]
    for key, value in fields.items():
        _append(request, key, value)
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")


_TEMPLATE = (
    "<?xml version='1.0' encoding='utf-8'?>\n"
    f'<soap:Envelope xmlns:soap="{ENV}"><soap:Body><{{op}} xmlns="{NS}">{{fields}}</{{op}}></soap:Body></soap:Envelope>'
)


def _fields_text(fields: Mapping[str, Any]) -> str:
    parts = []
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            inner = _fields_text(one) if isinstance(one, Mapping) else escape(_text(one))
            parts.append(f"<{name}>{inner}</{name}>")
    return "".join(parts)


def text_envelope(operation: str, fields: Mapping[str, Any]) -> bytes:
    """The request as text: the envelope a string template, the fields written in order, escaped."""
    return _TEMPLATE.format(op=operation, fields=_fields_text(fields)).encode()


_ACCOUNT_TEXT = _TEMPLATE.format(op="GetAccountInfo", fields="<Authenticator>{}</Authenticator>")
_PURCHASE_TEXT = _TEMPLATE.format(
    op="PurchasePostage",
    fields="<Authenticator>{}</Authenticator><PurchaseAmount>{}</PurchaseAmount>"
    "<ControlTotal>{}</ControlTotal><IntegratorTxID>{}</IntegratorTxID>",
)


def schema_ordered(operation: str, wire: Mapping[str, Any]) -> dict[str, Any]:
    """``wire`` laid out once as the schema orders it (the mapping's dicts keep the order they were
    filled in; a SOAP server refuses elements out of their sequence): written once by the SDK's
    codec, read back as nested dicts of wire text (repeated elements as lists). Done at set-up,
    never per call, so it costs the floor nothing."""
    schema = swsim_schema("v135")
    envelope = build(schema, schema.operations[operation], {"Authenticator": TOKEN, **wire}, response=False)

    def read(node: etree._Element) -> Any:
        if len(node) == 0:
            return node.text or ""
        out: dict[str, Any] = {}
        for child in node:
            name, value = _local(child.tag), read(child)
            if name in out:
                out[name] = [*out[name], value] if isinstance(out[name], list) else [out[name], value]
            else:
                out[name] = value
        return out

    fields = read(etree.fromstring(envelope)[0][0])
    del fields["Authenticator"]
    return fields


class EnvOnce:
    """A hand-written client's ``post`` that reads the environment once, as the SDK does.

    ``session.post`` reads the proxy settings and the CA bundle from the environment on every
    call, and ``prepare_request`` merges cookies, auth and hooks and reads ``~/.netrc``; the SDK
    reads the environment and ``~/.netrc`` once per session and origin
    (``onebalance/core/_transport.py``) and lays a plain request out directly. This does the same:
    the settings read once, at construction, and each request laid out directly (the URL
    prepared once, the session's headers and the request's, the body and its length), then sent
    as ``Session.request`` would send it with those settings."""

    def __init__(self, session: requests.Session, url: str) -> None:
        self.session = session
        self.settings = session.merge_environment_settings(url, {}, None, None, None)
        self.urls: dict[str, str] = {}

    def post(self, url: str, data: bytes, headers: Mapping[str, str], timeout: tuple[float, float]) -> Any:
        session = self.session
        prepared = requests.PreparedRequest()
        prepared.method = "POST"
        known = self.urls.get(url)
        if known is None:
            prepared.prepare_url(url, None)
            known = self.urls[url] = prepared.url or url
        prepared.url = known
        prepared.prepare_headers({**session.headers, **headers})
        prepared.headers["Content-Length"] = str(len(data))
        prepared.body = data
        return session.send(prepared, timeout=timeout, allow_redirects=False, **self.settings)


def hand_post(session: Any, operation: str, envelope: bytes, url: str = URL) -> etree._Element:
    reply = session.post(
        url,
        data=envelope,
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{NS}/{operation}"'},
        timeout=(5, 30),
    )
    return etree.fromstring(reply.content)[0][0]


_Q = f"{{{NS}}}"
_INT = int
_INFO: dict[str, Callable[[str], Any]] = {
    _Q + "CustomerID": _INT,
    _Q + "MeterNumber": _INT,
    _Q + "UserID": _INT,
    _Q + "MaxPostageBalance": Decimal,
    _Q + "CostCodeLimit": _INT,
    _Q + "MonthlyPostagePurchaseLimit": _INT,
    _Q + "MaxUsers": _INT,
    _Q + "PlanID": _INT,
    _Q + "PendingPlanId": _INT,
    _Q + "ResubmitStatus": str,
    _Q + "Username": str,
}


def _local(tag: str) -> str:
    return tag[len(_Q) :]


def floor_account(session: Any, old: bool = False) -> dict[str, Any]:
    """GetAccountInfo by hand: the request from a template (``old``: as an lxml tree), every value
    ``Account`` carries read, typed, no checks."""
    if old:
        envelope = hand_envelope("GetAccountInfo", {"Authenticator": "token"})
    else:
        envelope = _ACCOUNT_TEXT.format(escape(TOKEN)).encode()
    node = hand_post(session, "GetAccountInfo", envelope)
    out: dict[str, Any] = {"Authenticator": node.findtext(_Q + "Authenticator")}
    for child in node:
        tag = child.tag
        if tag == _Q + "AccountInfo":
            for item in child:
                itag = item.tag
                convert = _INFO.get(itag)
                if convert is not None:
                    out[_local(itag)] = convert(item.text or "")
                elif itag == _Q + "PostageBalance":
                    out["available"] = Decimal(item[0].text or "0")
                    out["control"] = Decimal(item[1].text or "0")
                elif itag == _Q + "Capabilities":
                    out["capabilities"] = {
                        _local(c.tag): c.text == "true" for c in item if c.tag != _Q + "PerPrintLimit"
                    }
                    out["per_print_limit"] = Decimal(item.findtext(_Q + "PerPrintLimit") or "0")
                elif itag in (_Q + "Terms", _Q + "MeterPhysicalAddress"):
                    out[_local(itag)] = {_local(c.tag): c.text for c in item}
                elif itag == _Q + "AutoBuySettings":
                    out["auto_buy"] = {_local(c.tag): c.text for c in item}
        elif tag == _Q + "Address":
            out["address"] = {_local(c.tag): c.text for c in child}
        elif tag in (_Q + "CustomerEmail", _Q + "AccountStatus", _Q + "VerificationPhoneNumber"):
            out[_local(tag)] = child.text
    return out


def floor_purchase(session: Any, tx: str, old: bool = False) -> dict[str, Any]:
    if old:
        fields = {"Authenticator": "token", "PurchaseAmount": Decimal("10.00"), "ControlTotal": Decimal("0.00")}
        envelope = hand_envelope("PurchasePostage", {**fields, "IntegratorTxID": tx})
    else:
        envelope = _PURCHASE_TEXT.format(escape(TOKEN), "10.00", "0.00", escape(tx)).encode()
    node = hand_post(session, "PurchasePostage", envelope)
    balance = node.find(_Q + "PostageBalance")
    assert balance is not None
    return {
        "Authenticator": node.findtext(_Q + "Authenticator"),
        "status": node.findtext(_Q + "PurchaseStatus"),
        "transaction_id": int(node.findtext(_Q + "TransactionID") or "0"),
        "available": Decimal(balance.findtext(_Q + "AvailablePostage") or "0"),
        "control": Decimal(balance.findtext(_Q + "ControlTotal") or "0"),
    }


def floor_indicium(
    session: Any,
    wire: Mapping[str, Any],
    old: bool = False,
    auth: Mapping[str, Any] | None = None,
    url: str = URL,
) -> dict[str, Any]:
    """CreateIndicium by hand, from the request's fields already laid out as the wire wants them,
    written as text (``old``: as an lxml tree). ``auth``: the Authenticator (a canned one by
    default) or the Credentials (item 3's floor, against a real server)."""
    write = hand_envelope if old else text_envelope
    fields = {**(auth or {"Authenticator": TOKEN}), **wire}
    node = hand_post(session, "CreateIndicium", write("CreateIndicium", fields), url)
    rate = node.find(_Q + "Rate")
    assert rate is not None
    addons = rate.find(_Q + "AddOns")
    cost = Decimal(rate.findtext(_Q + "Amount") or "0")
    if addons is not None:
        cost += sum((Decimal(a.findtext(_Q + "Amount") or "0") for a in addons), Decimal(0))
    image = node.find(_Q + "ImageData")
    assert image is not None
    return {
        "Authenticator": node.findtext(_Q + "Authenticator"),
        "tracking_number": node.findtext(_Q + "TrackingNumber"),
        "stamps_tx_id": node.findtext(_Q + "StampsTxID"),
        "service": rate.findtext(_Q + "ServiceType"),
        "cost": cost,
        "image": base64.b64decode(image[0].text or ""),
        "balance": Decimal(node.findtext(f"{_Q}PostageBalance/{_Q}AvailablePostage") or "0"),
    }


def floor_ups_ship(session: Any, path: str, request: Mapping[str, Any]) -> dict[str, Any]:
    """UPS Ship by hand: json out, json in, the label's values read."""
    reply = session.post(  # a session, or an EnvOnce over one
        UPS_URL + path,
        data=json.dumps(request).encode(),
        headers={"Authorization": "Bearer token", "Content-Type": "application/json", "transId": "t"},
        timeout=(5, 30),
    )
    results = reply.json()["ShipmentResponse"]["ShipmentResults"]
    package = results["PackageResults"]
    package = package[0] if isinstance(package, list) else package
    charges = results.get("NegotiatedRateCharges", {}).get("TotalCharge") or results["ShipmentCharges"]["TotalCharges"]
    return {
        "tracking_number": package["TrackingNumber"],
        "cost": Decimal(charges["MonetaryValue"]),
        "image": base64.b64decode(package["ShippingLabel"]["GraphicImage"]),
        "reference": results.get("ShipmentIdentificationNumber"),
    }


# -- zeep by hand ----------------------------------------------------------------------------------------
def zeep_service(session: Any) -> Any:
    """What a user writing zeep by hand does: a client from the WSDL, over their session."""
    import zeep
    from zeep.transports import Transport

    client = zeep.Client(str(WSDL), transport=Transport(session=session, operation_timeout=30))
    return client.create_service(f"{{{NS}}}SwsimV135Soap", URL)


# -- the run --------------------------------------------------------------------------------------------
def _swsim_recorder(box: Sandbox) -> Recorder:
    def live(sent: Sent) -> tuple[int, bytes, str]:
        reply = box.handle(sent.body, sent.headers.get("SOAPAction"))
        return reply.status, reply.body, reply.content_type

    return Recorder(live, soap_action)


def _ups_recorder(box: UpsSandbox) -> Recorder:
    def live(sent: Sent) -> tuple[int, bytes, str]:
        reply = box.handle(sent.method, sent.url[len(UPS_URL) :] or "/", dict(sent.headers), sent.body)
        return reply.status, reply.body, reply.headers.get("Content-Type", "application/json")

    return Recorder(live, lambda sent: f"{sent.method} {sent.url.split('?')[0]}")


def _cases(stack: str) -> list[tuple[str, dict[str, Callable[[], object]]]]:
    """The four operations, each as sdk / floor / naive over a session of kind ``stack``
    (``requests``: the whole requests stack with a canned adapter; ``bare``: no HTTP library)."""
    make = canned_session if stack == "requests" else BareSession
    ids = itertools.count()
    # Record real answers of the in-process sandboxes, then replay them.
    box = Sandbox()
    box.create_account("bench", PASSWORD, balance="400.00")
    recorder = _swsim_recorder(box)
    session = make(recorder)
    creds = box.create_demo_account()
    client = OneBalance(
        integration_id=creds.integration_id, username="bench", password=PASSWORD, endpoint=URL, session=session
    )
    usps = UspsShipping(Postage("bench", client, InMemoryPostageRecords()))
    ship = shipment()
    rate = next(r for r in usps.rates(ship) if r.service_code == "US-PM")
    usps.buy(rate, ship, idempotency_key="record")
    cleanse_hash = usps.cleanse(ship.recipient).cleanse_hash
    client.purchase_postage(Decimal("10.00"), client.account().control_total, "record")
    indicium_wire = usps_mapping.ship_request(rate, ship, "ob-floor", to_cleanse_hash=cleanse_hash, version="v135")
    floor_wire = schema_ordered("CreateIndicium", indicium_wire)

    ups_box = UpsSandbox()
    ups_box.create_account("bench-app", "bench-secret", ["A1B2C3"])
    ups_recorder = _ups_recorder(ups_box)
    ups_session = make(ups_recorder)
    settings = UpsSettings(
        client_id="bench-app", client_secret="bench-secret", account_number="A1B2C3", base_url=UPS_URL
    )
    ups = UpsClient(settings, session=ups_session)
    ups_rate = next(r for r in ups.rates(ship) if r.carrier is Carrier.UPS)
    ups.buy(ups_rate, ship, idempotency_key="record")
    ups_request = ups_mapping.ship_request(ups_rate, ship, settings, "floor")
    ups_wire = dict(ups_request.payload or {})
    recorder.replaying = ups_recorder.replaying = True
    zeep = zeep_service(session)
    # The floor posts reading the environment once, as the SDK does (``EnvOnce``); the old floor
    # posts with ``session.post``, which reads it on every call. Without ``requests`` (``bare``)
    # nothing reads the environment: both post through the session.
    honest = stack == "requests"
    poster: Any = EnvOnce(session, URL) if honest else session
    ups_poster: Any = EnvOnce(ups_session, UPS_URL) if honest else ups_session

    def sdk_indicium() -> object:
        """What UspsShipping.buy does for its CreateIndicium (buy also reads the account and cleanses)."""
        tx = f"ob-{next(ids)}"
        payload = usps_mapping.ship_request(rate, ship, tx, to_cleanse_hash=cleanse_hash, version="v135")
        response = client.call("CreateIndicium", payload, transaction_id=tx, reads=usps_mapping.LABEL_READS)
        return usps_mapping.parse_label(response, rate)

    def sdk_ups() -> object:
        return ups.buy(ups_rate, ship, idempotency_key=f"k-{next(ids)}")

    return [
        (
            "GetAccountInfo",
            {
                "sdk": client.account,
                "floor": lambda: floor_account(poster),
                "old_floor": lambda: floor_account(session, old=True),
                "naive": lambda: zeep.GetAccountInfo(Authenticator="token"),
            },
        ),
        (
            "PurchasePostage",
            {
                "sdk": lambda: client.purchase_postage(Decimal("10.00"), Decimal("0.00"), f"tx-{next(ids)}"),
                "floor": lambda: floor_purchase(poster, f"tx-{next(ids)}"),
                "old_floor": lambda: floor_purchase(session, f"tx-{next(ids)}", old=True),
                "naive": lambda: zeep.PurchasePostage(
                    Authenticator="token",
                    PurchaseAmount=Decimal("10.00"),
                    ControlTotal=Decimal("0.00"),
                    IntegratorTxID=f"tx-{next(ids)}",
                ),
            },
        ),
        (
            "CreateIndicium",
            {
                "sdk": sdk_indicium,
                "floor": lambda: floor_indicium(poster, floor_wire),
                "old_floor": lambda: floor_indicium(session, floor_wire, old=True),
                "naive": lambda: zeep.CreateIndicium(Authenticator="token", **indicium_wire),
            },
        ),
        (
            "UPS ship",
            {
                "sdk": sdk_ups,
                "floor": lambda: floor_ups_ship(ups_poster, ups_request.path, ups_wire),
                **({"old_floor": lambda: floor_ups_ship(ups_session, ups_request.path, ups_wire)} if honest else {}),
            },
        ),
    ]


def run(quick: bool) -> list[Row]:
    n, rounds = (150, 4) if quick else (500, 10)
    rows = []
    for stack, label in (("requests", "with requests"), ("bare", "codec alone")):
        for name, fns in _cases(stack):
            stables = cpu_per_call(fns, n, rounds)
            times = {side: stable.value for side, stable in stables.items()}
            ratio = times["sdk"] / times["floor"]
            reference = f"floor (text, env read once) {fmt_us(times['floor'])}"
            if "old_floor" in times:
                old = times["old_floor"]
                what = "lxml tree, env read every call" if label == "with requests" else "lxml tree"
                reference += f"; old floor ({what}) {fmt_us(old)}: sdk = {times['sdk'] / old:.2f}x"
            if "naive" in times:
                reference += f"; naive zeep {fmt_us(times['naive'])} = {times['naive'] / times['sdk']:.1f}x the sdk"
            rows.append(
                Row(
                    "1",
                    f"{name} ({label}): CPU per call / floor",
                    f"{ratio:.2f}x ({fmt_us(times['sdk'])})",
                    reference,
                    f"<= {TARGET}x",
                    ratio <= TARGET,
                    worst(stables.values()),
                )
            )
    return rows
