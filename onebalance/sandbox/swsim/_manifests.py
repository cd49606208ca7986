"""SCAN forms: CreateManifest, and the forms' PDFs.

**CreateManifest** (``ManifestType`` ScanForm, its default, or All) makes one SCAN form for the
account's labels of ``ShipDate`` (the sandbox clock's day when it is nil or left out):

* with labels named (``TrackingNumbers``, ``StampsTxIds``, or both), for those. Each label named
  must be the account's (00450202), not voided nor a sample (002b0911), on no form yet (00450d02,
  the service's own code) and of the form's ship date (002b0912: the label's ``Rate.ShipDate``, or
  the day it was printed, as ``_reprints.ship_date`` reads it). Any label refused refuses the whole
  call: one fault whose detail lists every label refused, one ``sdcerror`` each, with its code and
  the label as it was named in its ``context`` attribute. Nothing is put on a form then.
* with none named, for every label of the day that is not voided, not a sample and on no form yet;
  when there is none: 002b0910.

A form holds the labels it covers (``SandboxAccount.scan_forms``) and each of them knows its form
(``Label.scan_form_id``): it goes on no other form, and once USPS has accepted it (6 h after
printing) CancelIndicium refuses to void it (002b0913).
The answer lists one ``EndOfDayManifest`` (PickupCarrier Usps, ManifestType ScanForm, its
``ManifestId`` and ``ManifestUrl``, ``<site>/sandbox/scanforms/<id>.pdf``: a real one-page PDF, on
letter paper, whatever ``ImageType`` asked). The IntegratorTxID is echoed; it makes no replay (the
service's own clients ask again under the same one, without the labels refused). Other manifest
types (GlobalAdvantage, GlobalPost, DriverManifest) find no labels: 002b0910. Forms are kept with
the account, so ``--state`` keeps them across restarts.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from .._shared import _images
from . import _errors as faults
from ._account_models import Label, ScanFormRecord
from ._dispatch import Call, Reply
from ._errors import SandboxFault
from ._reprints import ship_date
from ._state import SandboxAccount, SandboxState
from ._urls import site

__all__ = ["FORMS_PREFIX", "create_manifest", "serve_form"]

FORMS_PREFIX = "/sandbox/scanforms/"
FORM_PATH = re.compile(r"/sandbox/scanforms/(SF[0-9]+)\.pdf")
#: The manifest types a SCAN form answers (the others are for carriers and services the sandbox lacks).
SCAN_TYPES = ("ScanForm", "All")


def _day(given: object) -> date | None:
    """CreateManifest's ShipDate as the codec reads it (a date, or None when nil or left out)."""
    if isinstance(given, datetime):
        return given.date()
    if isinstance(given, date):
        return given
    if isinstance(given, str) and given.strip():
        return date.fromisoformat(given.strip()[:10])
    return None


def create_manifest(call: Call) -> dict[str, Any]:
    account, request, state = call.user, call.request, call.state
    day = _day(request.get("ShipDate")) or state.clock.now().date()
    if (request.get("ManifestType") or "ScanForm") not in SCAN_TYPES:
        raise SandboxFault(faults.NOTHING_TO_MANIFEST)
    named = _named(request)
    if named:
        labels = _chosen(account, named, day)
    else:
        labels = [lb for lb in account.labels if _eligible(lb) and ship_date(lb) == day]
        if not labels:
            raise SandboxFault(faults.NOTHING_TO_MANIFEST)
    form = ScanFormRecord(
        id=f"SF{state.next_id('scan_form', 7000000):010d}",
        ship_date=day,
        created_at=state.clock.now(),
        integrator_tx_id=request.get("IntegratorTxID"),
        stamps_tx_ids=[lb.stamps_tx_id for lb in labels],
        tracking_numbers=[lb.tracking_number for lb in labels],
        from_address=dict(request.get("FromAddress") or {}),
    )
    for label in labels:
        label.scan_form_id = form.id
    account.scan_forms.append(form)
    state.touch(account)
    manifest = {
        "PickupCarrier": "Usps",
        "ManifestType": "ScanForm",
        "ManifestId": form.id,
        "ManifestUrl": f"{site(call.actor)}{FORMS_PREFIX}{form.id}.pdf",
    }
    return {"IntegratorTxID": request.get("IntegratorTxID"), "EndOfDayManifests": {"EndOfDayManifest": [manifest]}}


def _eligible(label: Label) -> bool:
    return not label.voided and not label.sample and label.scan_form_id is None


def _named(request: dict[str, Any]) -> list[tuple[str, str]]:
    """The labels named, as (kind, what was sent): tracking numbers first, then StampsTxIDs."""
    numbers = ((request.get("TrackingNumbers") or {}).get("string")) or []
    tx_ids = ((request.get("StampsTxIds") or {}).get("guid")) or []
    named = [("tracking", str(n).strip()) for n in numbers if n is not None and str(n).strip()]
    return named + [("stamps_tx_id", str(t)) for t in tx_ids if t is not None]


def _chosen(account: SandboxAccount, named: list[tuple[str, str]], day: date) -> list[Label]:
    """The labels named, each once; a fault listing every one refused, with its reason, if any is."""
    chosen: list[Label] = []
    refused: list[tuple[str, str, str]] = []
    for kind, sent in named:
        label = _find(account, kind, sent)
        code = None
        if label is None:
            code = faults.NO_SUCH_TRANSACTION
        elif label.voided or label.sample:
            code = faults.NOT_MAILABLE
        elif label.scan_form_id is not None:
            code = faults.ALREADY_ON_SCAN_FORM
        elif ship_date(label) != day:
            code = faults.OTHER_SHIP_DATE
        if code is not None:
            refused.append((code, sent, faults.MESSAGES[code]))
        elif label is not None and all(label is not seen for seen in chosen):
            chosen.append(label)
    if refused:
        count = len(refused)
        raise SandboxFault(
            refused[0][0],
            f"{count} label{'s' if count > 1 else ''} cannot go on a SCAN form: {refused[0][2]}",
            details=tuple(refused),
        )
    return chosen


def _find(account: SandboxAccount, kind: str, sent: str) -> Label | None:
    for label in account.labels:
        if kind == "tracking" and label.tracking_number == sent:
            return label
        if kind == "stamps_tx_id" and label.stamps_tx_id.lower() == sent.lower():
            return label
    return None


def serve_form(state: SandboxState, path: str) -> Reply | None:
    """``/sandbox/scanforms/<id>.pdf``: the form's PDF (404 unknown); None: not a form's path."""
    if not path.startswith(FORMS_PREFIX):
        return None
    m = FORM_PATH.fullmatch(path)
    if m is not None:
        for account in state.accounts.values():
            for form in account.scan_forms:
                if form.id == m.group(1):
                    return Reply(200, _pdf(form), "application/pdf")
    return Reply(404, b"no such SCAN form", "text/plain")


def _pdf(form: ScanFormRecord) -> bytes:
    count = len(form.stamps_tx_ids)
    title = f"SANDBOX SCAN FORM {form.id} {form.ship_date.isoformat()} {count} PACKAGE{'S' if count != 1 else ''}"
    return _images._pdf(title.encode("ascii"), letter=True)
