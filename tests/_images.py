"""Whether a label image is really the format it claims: PNG, GIF, JPEG and BMP decode (Pillow, which
fpdf2 brings), a PDF's cross-reference table points at its objects and it ends in ``%%EOF``, ZPL and
EPL2 labels are whole printer programs."""

from __future__ import annotations

import io
import re

from PIL import Image

#: The names the services use for a format -> the format.
KINDS = {"PNG": "PNG", "GIF": "GIF", "JPG": "JPEG", "JPEG": "JPEG", "BMP": "BMP", "PDF": "PDF",
         "ZPL": "ZPL", "ZPLII": "ZPL", "EPL": "EPL", "EPL2": "EPL"}  # fmt: skip


def check_image(claimed: str, data: bytes) -> None:
    """Raise AssertionError unless ``data`` is a whole, readable file of the ``claimed`` format."""
    kind = KINDS[claimed.upper()]
    if kind in ("PNG", "GIF", "JPEG", "BMP"):
        image = Image.open(io.BytesIO(data))
        assert image.format == kind, (claimed, image.format)
        image.load()  # decodes every pixel: a truncated or garbled file raises here
        assert image.size[0] > 0 and image.size[1] > 0
    elif kind == "PDF":
        check_pdf(data)
    elif kind == "ZPL":
        assert data.startswith(b"^XA") and data.rstrip().endswith(b"^XZ"), data[:40]
        assert data.isascii()
    else:  # EPL2: clear the image buffer (N), draw, print one (P1)
        assert data.startswith(b"\nN\n") and data.endswith(b"P1\n"), data[:40]
        assert data.isascii()


def check_pdf(data: bytes) -> None:
    """A PDF a reader can open: header, objects where the xref table says, trailer, startxref, %%EOF."""
    assert re.match(rb"%PDF-1\.[0-7]\n", data), data[:16]
    assert data.rstrip(b"\r\n").endswith(b"%%EOF")
    start = re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", data)
    assert start is not None
    xref = int(start.group(1))
    assert data[xref:].startswith(b"xref")
    table = re.match(rb"xref\s+0 (\d+)\s+((?:\d{10} \d{5} [fn] ?\r?\n)+)trailer\s*<<(.*?)>>", data[xref:], re.S)
    assert table is not None, data[xref : xref + 80]
    count = int(table.group(1))
    entries = re.findall(rb"(\d{10}) (\d{5}) ([fn])", table.group(2))
    assert len(entries) == count and entries[0][2] == b"f"
    for number, (offset, _, kind) in enumerate(entries):
        if kind == b"n":
            assert data[int(offset) :].startswith(b"%d 0 obj" % number), (number, offset)
    assert re.search(rb"/Root \d+ 0 R", table.group(3)) and re.search(rb"/Size %d\b" % count, table.group(3))
    for length, body in re.findall(rb"/Length (\d+) >>\nstream\n(.*?)\nendstream", data, re.S):
        assert int(length) == len(body)
    assert b"/Type /Page " in data or b"/Type /Page\n" in data
