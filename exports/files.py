"""An export as a file that names its own SHA-256.

An export is written to a spooled temporary file (in memory up to a few MiB, then on
disk), so a year of events never sits in memory; its SHA-256 is computed once it is
complete, and the HTTP response streams the file back with the digest in its headers:
``Repr-Digest: sha-256=:<base64>:`` (RFC 9530) and ``X-Content-SHA256: <hex>``. A
recipient recomputes it (``sha256sum file``) to prove the file was not altered.
"""

from __future__ import annotations

import base64
import hashlib
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import quote

from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

SPOOL_BYTES = 8 * 1024 * 1024
CHUNK = 64 * 1024


def spooled_file() -> IO[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b")  # noqa: SIM115 (closed by the response)


@dataclass(frozen=True)
class ExportFile:
    file: IO[bytes]
    sha256: str
    size: int
    media_type: str
    filename: str

    @property
    def repr_digest(self) -> str:
        return f"sha-256=:{base64.b64encode(bytes.fromhex(self.sha256)).decode('ascii')}:"

    def headers(self) -> dict[str, str]:
        return {"Repr-Digest": self.repr_digest, "X-Content-SHA256": self.sha256, "Content-Length": str(self.size),
                "Content-Disposition": f"attachment; filename=\"{_ascii(self.filename)}\"; "
                                       f"filename*=UTF-8''{quote(self.filename, safe='')}",
                "Cache-Control": "no-store"}


def _ascii(name: str) -> str:
    """A plain fallback name for old clients: lot codes may hold quotes and slashes (GS1 set 82)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def finish(file: IO[bytes], *, media_type: str, filename: str) -> ExportFile:
    """Hash the complete file and rewind it for reading."""
    file.flush()
    file.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := file.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)
    return ExportFile(file, digest.hexdigest(), size, media_type, filename)


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    while chunk := file.read(CHUNK):
        yield chunk


def file_response(export: ExportFile, **kwargs: Any) -> StreamingResponse:
    """Stream the file with its digest headers; the file is closed once sent."""
    return StreamingResponse(_chunks(export.file), media_type=export.media_type, headers=export.headers(),
                             background=BackgroundTask(export.file.close), **kwargs)
