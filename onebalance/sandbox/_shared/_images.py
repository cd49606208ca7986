"""The label images the sandboxes hand out: small, real files of the format each label claims.

Every image decodes as what it says it is: the PNG and BMP are a 4x6 in label at 50 dpi (200 x 300
pixels, one bit per pixel: a frame, a title bar and a barcode-like block of bars), the GIF and JPEG
a small white image, the PDF a one-page 4x6 in document with a cross-reference table and
``%%EOF``, the ZPL and EPL2 labels the commands of a printer. They are made once, at import, and
are the same bytes every time (a label's identity is its tracking number, not its picture).
"""

from __future__ import annotations

import base64
import struct
import zlib

__all__ = ["BMP", "EPL", "GIF", "JPEG", "PDF", "PDF_LETTER", "PNG", "PROOF_OF_DELIVERY_PDF", "ZPL"]

WIDTH, HEIGHT = 200, 300


def _band(y: int) -> str:
    """Which band of the label row ``y`` is in: the frame's edge, the title bar, the bars or blank."""
    if y < 4 or y >= HEIGHT - 4:
        return "edge"
    if 20 <= y < 60:
        return "title"
    return "bars" if 180 <= y < 260 else "blank"


def _ink(x: int, band: str) -> bool:
    """Whether pixel ``x`` of a row in ``band`` is black."""
    if band == "edge" or x < 4 or x >= WIDTH - 4:
        return True  # the frame
    if band == "blank" or x < 20 or x >= WIDTH - 20:
        return False
    return band == "title" or (x * 7 // 3 + x // 5) % 4 < 2


def _rows() -> list[bytes]:
    """The label's rows, top first, 1 bit per pixel, most significant bit first, 1 = black."""
    bands: dict[str, bytes] = {}
    for band in ("edge", "title", "bars", "blank"):
        bits = 0
        for x in range(WIDTH):
            bits = (bits << 1) | _ink(x, band)
        bands[band] = bits.to_bytes(WIDTH // 8, "big")
    return [bands[_band(y)] for y in range(HEIGHT)]


def _png(rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    # Greyscale, 1 bit: 0 is black, so the rows are inverted; each row starts with filter 0.
    raw = b"".join(b"\x00" + bytes(255 - b for b in row) for row in rows)
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def _bmp(rows: list[bytes]) -> bytes:
    stride = (WIDTH // 8 + 3) // 4 * 4
    pixels = b"".join(row.ljust(stride, b"\x00") for row in reversed(rows))  # bottom row first
    palette = b"\xff\xff\xff\x00" + b"\x00\x00\x00\x00"  # index 0 white, 1 black
    offset = 14 + 40 + len(palette)
    info = struct.pack("<IiiHHIIiiII", 40, WIDTH, HEIGHT, 1, 1, 0, len(pixels), 1969, 1969, 2, 2)
    return b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset) + info + palette + pixels


def _pdf(title: bytes = b"SANDBOX LABEL", *, letter: bool = False) -> bytes:
    """A one-page 4x6 in PDF (288 x 432 pt): the title in Helvetica and a frame; with ``letter``, the
    4x6 label at the top of a US letter page (612 x 792 pt)."""
    top = 792 if letter else 432
    content = b"2 w 6 %d 276 420 re S BT /F1 18 Tf 24 %d Td (%s) Tj ET" % (top - 426, top - 36, title)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R " % (612 if letter else 288, top)
        + b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


_LABEL = _rows()
PNG = _png(_LABEL)
BMP = _bmp(_LABEL)
PDF = _pdf()
#: A label printed on a US letter sheet (USPS PaperSize Letter85x11, FedEx PAPER_LETTER).
PDF_LETTER = _pdf(letter=True)
#: The letter FedEx's trackingdocuments answers for a delivered package (SIGNATURE_PROOF_OF_DELIVERY).
PROOF_OF_DELIVERY_PDF = _pdf(b"SIGNATURE PROOF OF DELIVERY")
#: The commercial invoice UPS and FedEx return with a label abroad.
COMMERCIAL_INVOICE_PDF = _pdf(b"COMMERCIAL INVOICE")
#: A 1x1 white GIF89a and an 8x8 white baseline JPEG (JFIF).
GIF = base64.b64decode("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0"
    "Hyc5PTgyPC4zNDL/wAALCAAIAAgBAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9"
    "AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZn"
    "aGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP0"
    "9fb3+Pn6/9oACAEBAAA/APf6/9k="
)
#: Zebra ZPL II and Eltron EPL2 printer commands for a 4x6 in label at 203 dpi.
ZPL = b"^XA\n^PW812\n^LL1218\n^FO40,40^GB732,1138,4^FS\n^FO80,80^A0N,48,48^FDSANDBOX LABEL^FS\n^XZ\n"
EPL = b'\nN\nq812\nQ1218,24\nX40,40,4,772,1178\nA80,80,0,4,2,2,N,"SANDBOX LABEL"\nP1\n'
