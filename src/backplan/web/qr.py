"""QR codes drawn as inline SVG (segno), so a page needs no image request and no other site."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(text: str) -> Markup:
    """``text`` as a QR code, an ``<svg>`` element to put straight into a page.

    The SVG holds only the code's paths (segno writes no text of its own), so it is safe
    to insert unescaped.
    """
    code = segno.make(text, error="m", micro=False)
    svg: str = code.svg_inline(scale=5, border=2, dark="#111", light="#fff")
    return Markup(svg)
