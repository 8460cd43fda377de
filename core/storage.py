"""File storage under the instance folder: uploads and reports, written atomically, hashed while written."""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from core.errors import TooLarge

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    relative: str  # path under the storage root, kept in the database
    size: int
    checksum: str  # SHA-256 hex


def store_stream(
    root: Path, folder: str, stream: BinaryIO, *, max_bytes: int, suffix: str = ""
) -> StoredFile:
    """Copy `stream` into `root/folder/`, refusing (and leaving nothing behind) past `max_bytes`."""
    directory = root / folder
    directory.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16) + suffix
    target = directory / name
    partial = directory / f".{name}.part"
    digest, size = hashlib.sha256(), 0
    try:
        with partial.open("wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(
                        f"The file is larger than the limit of {max_bytes // (1024 * 1024)} MB.",
                        [{"field": "file", "message": f"over {max_bytes} bytes"}],
                    )
                digest.update(chunk)
                out.write(chunk)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return StoredFile(f"{folder}/{name}", size, digest.hexdigest())


def store_bytes(root: Path, folder: str, data: bytes, *, suffix: str = "") -> StoredFile:
    import io

    return store_stream(root, folder, io.BytesIO(data), max_bytes=len(data) + 1, suffix=suffix)


def resolve(root: Path, relative: str) -> Path:
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ValueError("path escapes the storage root")
    return path
