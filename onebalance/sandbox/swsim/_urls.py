"""Where the simulated service's web pages are (GetURL's answers, label images, the control API)."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["DEFAULT_SITE", "LABELS_PREFIX", "PAGES_PREFIX", "site"]

#: Where the pages are when the request reached the dispatcher directly (the in-process host).
DEFAULT_SITE = "https://swsim.sandbox.onebalance.test"
PAGES_PREFIX = "/sandbox/"
LABELS_PREFIX = "/sandbox/labels/"


def site(actor: str) -> str:
    """The scheme and host of the endpoint URL ``actor``."""
    parts = urlsplit(actor)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else DEFAULT_SITE
