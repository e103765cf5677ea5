"""A one-page PDF label, written by hand with the standard library.

PDF is a text format with a binary index: numbered objects (catalog, page tree,
page, fonts, one content stream) followed by a cross-reference table giving each
object's byte offset. The two standard fonts used (Helvetica, Helvetica-Bold)
are built into every PDF reader, so nothing is embedded. Output is deterministic:
the same lines always give the same bytes.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

# A 4 x 6 inch shipping label, in points (1/72 inch).
PAGE_WIDTH = 288
PAGE_HEIGHT = 432
MARGIN = 18
_WRAP_CHARS = {8: 54, 10: 44, 12: 36, 16: 26}


@dataclass(frozen=True)
class Line:
    """One line of text on the label; ``bold`` lines use Helvetica-Bold."""

    text: str
    size: int = 10
    bold: bool = False
    gap_before: int = 0


def render_pdf(lines: Sequence[Line], *, title: str = "Return label") -> bytes:
    """A valid single-page PDF showing ``lines`` top to bottom inside a border."""
    content = _content_stream(lines)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            "/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>"
        ).encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Title " + _pdf_string(title) + b" /Producer (ShopBot reference carrier) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")  # binary comment: "this file is binary"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        len(objects),
        xref_at,
    )
    return bytes(out)


def _content_stream(lines: Sequence[Line]) -> bytes:
    ops = [
        b"q 1.5 w %d %d %d %d re S Q"
        % (MARGIN / 2, MARGIN / 2, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - MARGIN)
    ]
    y = PAGE_HEIGHT - MARGIN - 8
    for line in lines:
        width = _WRAP_CHARS.get(line.size, max(10, 440 // line.size))
        y -= line.gap_before
        for piece in textwrap.wrap(line.text, width) or [""]:
            y -= round(line.size * 1.3)
            if y < MARGIN:
                break  # the label is full; a real carrier would shrink the font
            font = b"/F2" if line.bold else b"/F1"
            ops.append(
                b"BT %s %d Tf %d %d Td %s Tj ET" % (font, line.size, MARGIN, y, _pdf_string(piece))
            )
    return b"\n".join(ops)


def _pdf_string(text: str) -> bytes:
    """A PDF literal string: WinAnsi bytes with ``\\``, ``(``, ``)`` and controls escaped."""
    raw = text.encode("cp1252", errors="replace")
    escaped = bytearray(b"(")
    for byte in raw:
        if byte in b"\\()":
            escaped += b"\\" + bytes([byte])
        elif byte < 32 or byte == 127:
            escaped += b"\\%03o" % byte
        else:
            escaped.append(byte)
    escaped += b")"
    return bytes(escaped)
