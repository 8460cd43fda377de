"""White-label logos: PNG checked by signature and header, SVG parsed safely and allow-listed, limited."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from sqlalchemy import select

from tenants.branding import MAX_LOGO_BYTES
from tenants.models import Organisation, OrgKind
from tenants.roles import Role
from tests.conftest import csrf_token


def tiny_png(width: int = 4, height: int = 2) -> bytes:
    """A valid RGB PNG of the given size, built by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xcc\x33\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
SAFE_SVG = (
    SVG + b' viewBox="0 0 40 10"><defs><linearGradient id="g"><stop offset="0" stop-color="#a30"/>'
    b'</linearGradient></defs><rect id="r" width="40" height="10" fill="url(#g)"/><use xlink:href="#r"/>'
    b'<text x="2" y="8">Acme</text></svg>'
)
UNSAFE_SVGS = {
    "script": SVG + b"><script>alert(1)</script></svg>",
    "onload": SVG + b' onload="alert(1)"><rect width="1" height="1"/></svg>',
    "external href": SVG + b'><use xlink:href="https://evil.example/x.svg#a"/></svg>',
    "image": SVG + b'><image href="file:///etc/passwd"/></svg>',
    "foreignObject": SVG + b"><foreignObject><p>x</p></foreignObject></svg>",
    "external url()": SVG + b'><rect fill="url(https://evil.example/#a)"/></svg>',
    "entity": b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + SVG + b">&x;</svg>",
    "javascript link": SVG + b'><a href="javascript:alert(1)"><rect/></a></svg>',
}


@pytest.fixture
def consultancy(make_org):
    return make_org("Acme Advisory", kind=OrgKind.CONSULTANCY)


def _put(client, org, headers, data: bytes, content_type: str):
    return client.put(
        f"/api/v1/orgs/{org.slug}/branding/logo", data=data, headers={**headers, "Content-Type": content_type}
    )


def _logo_path(stored, org) -> str | None:
    return stored(select(Organisation).where(Organisation.id == org.id))[0].logo_path


@pytest.mark.parametrize(("data", "content_type"), [(tiny_png(), "image/png"), (SAFE_SVG, "image/svg+xml")])
def test_logo_upload_accepts_png_and_safe_svg(client, consultancy, token_for, stored, data, content_type):
    response = _put(client, consultancy, token_for(consultancy, Role.ADMIN), data, content_type)
    assert response.status_code == 204, response.get_data(as_text=True)
    assert _logo_path(stored, consultancy).endswith(".png" if content_type == "image/png" else ".svg")


def test_logo_upload_as_multipart_on_the_settings_page(client_as, consultancy, stored):
    client = client_as(consultancy, Role.OWNER)
    token = csrf_token(client, f"/o/{consultancy.slug}/settings")
    response = client.post(
        f"/o/{consultancy.slug}/settings/logo",
        data={"csrf_token": token, "logo": (io.BytesIO(SAFE_SVG), "logo.svg", "image/svg+xml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert _logo_path(stored, consultancy).endswith(".svg")
    logo = client.get(f"/o/{consultancy.slug}/settings/logo")
    assert logo.mimetype == "image/svg+xml"
    assert "sandbox" in logo.headers["Content-Security-Policy"]


@pytest.mark.parametrize("name", sorted(UNSAFE_SVGS))
def test_logo_upload_rejects_unsafe_svg(client, consultancy, token_for, stored, name):
    response = _put(
        client, consultancy, token_for(consultancy, Role.OWNER), UNSAFE_SVGS[name], "image/svg+xml"
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "invalid_input"
    assert _logo_path(stored, consultancy) is None


def test_logo_upload_rejects_oversize_files(client, consultancy, token_for, stored):
    padding = b"<!--" + b"x" * MAX_LOGO_BYTES + b"-->"
    big = SAFE_SVG.replace(b"</svg>", padding + b"</svg>")
    response = _put(client, consultancy, token_for(consultancy, Role.OWNER), big, "image/svg+xml")
    assert response.status_code == 413
    assert _logo_path(stored, consultancy) is None


def test_logo_upload_rejects_a_png_with_a_broken_header(client, consultancy, token_for):
    broken = bytearray(tiny_png())
    broken[20] ^= 0xFF  # a dimension byte: the header's CRC no longer matches
    response = _put(client, consultancy, token_for(consultancy, Role.OWNER), bytes(broken), "image/png")
    assert response.status_code == 422


def test_logo_upload_rejects_huge_png_dimensions(client, consultancy, token_for):
    response = _put(client, consultancy, token_for(consultancy, Role.OWNER), tiny_png(9000, 1), "image/png")
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("role", "expected"), [("owner", 204), ("admin", 204), ("analyst", 403), ("viewer", 403)]
)
def test_logo_upload_by_role(client, consultancy, token_for, role, expected):
    response = _put(client, consultancy, token_for(consultancy, role), tiny_png(), "image/png")
    assert response.status_code == expected


def test_logo_upload_by_a_stranger_is_not_found(client, consultancy, make_org, token_for):
    other = make_org("Other")
    response = _put(client, consultancy, {**token_for(other, Role.OWNER)}, tiny_png(), "image/png")
    assert response.status_code == 404


def test_only_consultancies_upload_logos(client, make_org, token_for):
    enterprise = make_org("Plain Enterprise")
    response = _put(client, enterprise, token_for(enterprise, Role.OWNER), tiny_png(), "image/png")
    assert response.status_code == 403


def test_replacing_a_logo_deletes_the_old_file(client, app, consultancy, token_for, stored):
    headers = token_for(consultancy, Role.OWNER)
    _put(client, consultancy, headers, tiny_png(), "image/png")
    first = _logo_path(stored, consultancy)
    _put(client, consultancy, headers, SAFE_SVG, "image/svg+xml")
    root = app.extensions["peerbench.settings"].storage_path
    assert not (root / first).exists()
    assert (root / _logo_path(stored, consultancy)).exists()
