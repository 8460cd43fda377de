"""White-label branding: a consultancy's logo (PNG or sanitised SVG) and the branding a report carries.

A logo is untrusted input that ends up inside every PDF of the consultancy's clients and on its settings
page, so it is accepted only in two shapes: a PNG whose signature and header check out within size and
dimension limits, or an SVG parsed with defusedxml (no entities, no DTD tricks) whose every element and
attribute is on an allow-list: no script, no event handler, no foreignObject, no reference outside the file.
The stored SVG is re-serialised from the parsed tree, never the uploaded bytes.
"""

from __future__ import annotations

import base64
import contextlib
import re
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.etree.ElementTree import Element, tostring

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from sqlalchemy.orm import Session

from core.errors import Forbidden, InvalidInput, TooLarge
from core.settings import Settings
from core.storage import resolve, store_bytes
from tenants import audit
from tenants.models import Organisation, User
from tenants.plans import Feature, check_entitlement, has_entitlement

MAX_LOGO_BYTES = 512 * 1024
MAX_LOGO_PIXELS = 4000  # per side; a logo is printed a few centimetres wide
PEERBENCH_NAME = "Peerbench"
PEERBENCH_PRIMARY = "#1f5fae"
LOGO_UPDATED = "branding.logo_updated"
LOGO_REMOVED = "branding.logo_removed"

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

# what a logo needs: shapes, groups, paths, text, gradients; nothing that runs, embeds or fetches
_ELEMENTS = frozenset(
    {
        "svg", "g", "defs", "title", "desc", "path", "rect", "circle", "ellipse", "line", "polyline",
        "polygon", "text", "tspan", "linearGradient", "radialGradient", "stop", "clipPath", "mask",
        "symbol", "use",
    }
)  # fmt: skip
_ATTRIBUTES = frozenset(
    {
        "id", "class", "viewBox", "width", "height", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r",
        "rx", "ry", "d", "points", "transform", "fill", "fill-opacity", "fill-rule", "clip-rule", "stroke",
        "stroke-width", "stroke-opacity", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit",
        "stroke-dasharray", "stroke-dashoffset", "opacity", "font-family", "font-size", "font-weight",
        "font-style", "text-anchor", "dominant-baseline", "letter-spacing", "offset", "stop-color",
        "stop-opacity", "gradientUnits", "gradientTransform", "spreadMethod", "fx", "fy", "clip-path",
        "clipPathUnits", "mask", "maskUnits", "maskContentUnits", "preserveAspectRatio", "version",
        "role", "aria-label", "style",
    }
)  # fmt: skip
_URL_VALUE = re.compile(r"url\(\s*['\"]?([^)'\"]*)['\"]?\s*\)", re.IGNORECASE)


@dataclass(frozen=True)
class Logo:
    media_type: str  # image/png or image/svg+xml
    data: bytes

    @property
    def suffix(self) -> str:
        return ".png" if self.media_type == "image/png" else ".svg"

    @property
    def data_uri(self) -> str:
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode('ascii')}"


@dataclass(frozen=True)
class Branding:
    """What a report carries on its cover and in its running header."""

    name: str
    primary: str  # #rrggbb
    logo: Logo | None
    white_label: bool  # True: a consultancy's brand instead of Peerbench's


PEERBENCH = Branding(PEERBENCH_NAME, PEERBENCH_PRIMARY, None, False)


# -- validating a logo -------------------------------------------------------------------------------------


def validate_logo(data: bytes, media_type: str | None = None) -> Logo:
    """The logo as it will be stored: a checked PNG, or an SVG rebuilt from its allow-listed parts."""
    if len(data) > MAX_LOGO_BYTES:
        raise TooLarge(
            f"The logo is larger than the limit of {MAX_LOGO_BYTES // 1024} KB.",
            [{"field": "logo", "message": f"over {MAX_LOGO_BYTES} bytes"}],
        )
    if not data:
        raise _invalid("The logo file is empty.")
    if data.startswith(_PNG_SIGNATURE):
        _check_png(data)
        return Logo("image/png", data)
    if media_type == "image/png":
        raise _invalid("This is not a PNG file (its first bytes are not the PNG signature).")
    return Logo("image/svg+xml", sanitise_svg(data))


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(message, [{"field": "logo", "message": message}])


def _check_png(data: bytes) -> None:
    # the first chunk must be a well-formed IHDR (length 13, matching CRC) with sane dimensions
    if len(data) < 33 or data[12:16] != b"IHDR" or struct.unpack(">I", data[8:12])[0] != 13:
        raise _invalid("This PNG file has no valid header.")
    if zlib.crc32(data[12:29]) != struct.unpack(">I", data[29:33])[0]:
        raise _invalid("This PNG file's header is corrupt.")
    width, height = struct.unpack(">II", data[16:24])
    if not (1 <= width <= MAX_LOGO_PIXELS and 1 <= height <= MAX_LOGO_PIXELS):
        raise _invalid(f"The logo must be between 1 and {MAX_LOGO_PIXELS} pixels wide and high.")
    if b"IEND" not in data[-12:]:
        raise _invalid("This PNG file is truncated.")


def _local(name: str) -> tuple[str | None, str]:
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return None, name


def sanitise_svg(data: bytes) -> bytes:
    """Parse without entities or DTDs and refuse anything outside the allow-list (never silently drop it)."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, SafeET.ParseError, ValueError) as error:
        raise _invalid(f"The logo is not a well-formed SVG file ({type(error).__name__}).") from None
    if _local(root.tag) != (_SVG_NS, "svg"):
        raise _invalid("The logo must be a PNG or an SVG file (an <svg> root in the SVG namespace).")
    for element in root.iter():
        namespace, tag = _local(element.tag) if isinstance(element.tag, str) else (None, "")
        if namespace != _SVG_NS or tag not in _ELEMENTS:
            raise _invalid(f"The SVG contains <{tag or 'comment'}>, which a logo may not contain.")
        for name, value in element.attrib.items():
            _check_attribute(tag, name, value)
        if tag == "use" and not _is_local_reference(_href(element)):
            raise _invalid("The SVG's <use> may only refer to an element of the same file.")
    return _serialise(root)


def _href(element: Element) -> str:
    return element.get("href") or element.get(f"{{{_XLINK_NS}}}href") or ""


def _is_local_reference(value: str) -> bool:
    return value.startswith("#") and len(value) > 1 and all(c.isalnum() or c in "-_." for c in value[1:])


def _check_attribute(tag: str, name: str, value: str) -> None:
    namespace, local = _local(name)
    if local == "href" and namespace in (None, _XLINK_NS):
        if tag != "use" or not _is_local_reference(value):
            raise _invalid("The SVG refers to something outside the file (an href), which a logo may not do.")
        return
    if namespace == "http://www.w3.org/XML/1998/namespace" and local == "space":
        return
    if namespace is not None or local not in _ATTRIBUTES:
        reason = "an event handler" if local.lower().startswith("on") else f"the attribute '{local}'"
        raise _invalid(f"The SVG contains {reason}, which a logo may not contain.")
    for reference in _URL_VALUE.findall(value):
        if not _is_local_reference(reference.strip()):
            raise _invalid("The SVG refers to something outside the file (a url()), which a logo may not do.")
    if "javascript:" in value.lower().replace(" ", "") or "expression(" in value.lower():
        raise _invalid("The SVG contains script in an attribute, which a logo may not contain.")


def _serialise(root: Element) -> bytes:
    # default namespace for SVG, xlink kept for <use>: the output is a plain standalone SVG document
    from xml.etree.ElementTree import register_namespace

    register_namespace("", _SVG_NS)
    register_namespace("xlink", _XLINK_NS)
    return tostring(root, encoding="utf-8", xml_declaration=True)


# -- storing and reading ---------------------------------------------------------------------------------


def set_logo(
    session: Session,
    org: Organisation,
    user: User | None,
    data: bytes,
    media_type: str | None,
    *,
    storage_root: Path,
    settings: Settings,
    now: datetime,
) -> Logo:
    """Validate and store a consultancy's logo, replacing (and deleting) the previous one."""
    if not org.is_consultancy:
        raise Forbidden("Only consultancies brand reports (white-label).")
    check_entitlement(org, Feature.WHITE_LABEL, settings=settings, now=now)
    logo = validate_logo(data, media_type)
    stored = store_bytes(storage_root, "branding", logo.data, suffix=logo.suffix)
    previous = org.logo_path
    org.logo_path = stored.relative
    session.flush()
    audit.record(
        session, LOGO_UPDATED, org_id=org.id, user=user, media_type=logo.media_type, size=stored.size
    )
    if previous:
        _delete_file(storage_root, previous)
    return logo


def remove_logo(session: Session, org: Organisation, user: User | None, *, storage_root: Path) -> None:
    if org.logo_path is None:
        return
    previous, org.logo_path = org.logo_path, None
    session.flush()
    audit.record(session, LOGO_REMOVED, org_id=org.id, user=user)
    _delete_file(storage_root, previous)


def _delete_file(storage_root: Path, relative: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # a stale file costs disk space only
        resolve(storage_root, relative).unlink(missing_ok=True)


def find_logo(org: Organisation, *, storage_root: Path) -> Logo | None:
    """The organisation's stored logo, or None (none uploaded, or the file is gone)."""
    if not org.logo_path:
        return None
    try:
        data = resolve(storage_root, org.logo_path).read_bytes()
    except (OSError, ValueError):
        return None
    return Logo("image/png" if data.startswith(_PNG_SIGNATURE) else "image/svg+xml", data)


def report_branding(org: Organisation, *, storage_root: Path, settings: Settings, now: datetime) -> Branding:
    """A consultancy's own branding on its reports and on its clients' reports; Peerbench's otherwise.

    The brand applies while the consultancy may use white-label (always, billing off); a reading check, so
    an overdue consultancy's clients keep the brand they had.
    """
    brand_owner = org if org.is_consultancy else org.managed_by
    if brand_owner is None or not brand_owner.is_consultancy:
        return PEERBENCH
    if not has_entitlement(brand_owner, Feature.WHITE_LABEL, settings=settings, now=now, reading=True):
        return PEERBENCH
    primary = brand_owner.primary_colour or ""
    return Branding(
        name=brand_owner.display_name or brand_owner.name,
        primary=primary.lower() if _HEX_COLOUR.fullmatch(primary) else PEERBENCH_PRIMARY,
        logo=find_logo(brand_owner, storage_root=storage_root),
        white_label=True,
    )
