"""GetURL and the sandbox's own web pages.

GetURL answers a page on the sandbox's host (the scheme and host of the endpoint the request
came in on; ``DEFAULT_SITE`` when it came straight through ``Sandbox.handle``):

* ``SetTermsGeneral``: ``<site>/sandbox/terms?account=<page id>``. ``GET`` shows a small HTML
  page with an "I accept" form; ``POST`` accepts the general terms (``Terms.TermsGP`` becomes
  true, and AccountStatus leaves ``TermsRequired``).
* CreateIndicium's label URLs, ``<site>/sandbox/labels/<StampsTxID>.png`` (see ``_labels``), and
  ReprintIndicium's, ``<site>/sandbox/reprints/<StampsTxID>/<n>.png`` (see ``_reprints``).
* CreateManifest's SCAN forms, ``<site>/sandbox/scanforms/<ManifestId>.pdf`` (see ``_manifests``).
* any other UrlType: ``<site>/sandbox/pages/<UrlType>?account=<page id>``, a page that only says
  which page it stands for.

The page id is an opaque random string, made the first time GetURL is called for an account
and kept with it. An unknown page id gets 404. Both mounts serve the pages: the HTTP server
and ``Sandbox.mount`` / ``mock()``.
"""

from __future__ import annotations

import html
import re
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from ._dispatch import Call, Reply
from ._labels import serve_label
from ._manifests import serve_form
from ._reprints import REPRINTS_PREFIX, serve_reprint
from ._urls import LABELS_PREFIX, site

if TYPE_CHECKING:
    from ._state import SandboxAccount, SandboxState

TERMS_PATH = "/sandbox/terms"
OTHER_PAGES = re.compile(r"/sandbox/pages/([A-Za-z0-9]+)")
HTML = "text/html; charset=utf-8"


def get_url(call: Call) -> dict[str, Any]:
    account = call.user
    if account.page_id is None:
        account.page_id = secrets.token_urlsafe(16)
        call.state.touch(account)
    url_type = call.request["URLType"]
    path = TERMS_PATH if url_type == "SetTermsGeneral" else f"/sandbox/pages/{url_type}"
    return {"URL": f"{site(call.actor)}{path}?account={account.page_id}"}


def serve_page(state: SandboxState, method: str, target: str) -> Reply:
    """Answer ``method`` (GET or POST) on ``target`` (a path with its query) under ``/sandbox/``."""
    parts = urlsplit(target)
    if method == "GET" and parts.path.startswith(LABELS_PREFIX):
        with state.lock:
            label = serve_label(state, parts.path)
        if label is not None:
            return label
    if method == "GET" and parts.path.startswith(REPRINTS_PREFIX):
        with state.lock:
            return serve_reprint(state, parts.path)
    if method == "GET":
        with state.lock:
            form = serve_form(state, parts.path)
        if form is not None:
            return form
    page_id = (parse_qs(parts.query).get("account") or [""])[0]
    with state.lock:
        account = _by_page_id(state, page_id)
        if parts.path == TERMS_PATH and account is not None:
            if method == "POST":
                account.terms_accepted = True
                state.touch(account)
                state.flush()
                return _page(200, "Terms accepted", f"{account.username} accepted the terms of service.")
            if method == "GET":
                return _page(
                    200,
                    "Terms of service",
                    f"These are the sandbox's terms of service for {account.username}.",
                    '<form method="post"><button type="submit">I accept</button></form>',
                )
            return _page(405, "Method not allowed", f"{method} is not allowed here.")
        other = OTHER_PAGES.fullmatch(parts.path)
        if other is not None and account is not None and method == "GET":
            return _page(200, other.group(1), f"The sandbox's {other.group(1)} page for {account.username}.")
    return _page(404, "Not found", "There is no such sandbox page.")


def _by_page_id(state: SandboxState, page_id: str) -> SandboxAccount | None:
    if not page_id:
        return None
    return next(
        (
            a
            for a in state.accounts.values()
            if a.page_id and secrets.compare_digest(a.page_id.encode(), page_id.encode())
        ),
        None,
    )


def _page(status: int, title: str, text: str, extra: str = "") -> Reply:
    body = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)} (sandbox)</title></head>'
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{extra}</body></html>"
    )
    return Reply(status, body.encode(), HTML)
