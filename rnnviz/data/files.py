"""Bounded reading of files and archives that users point at or upload.

Data files (`rnnviz.data.standard`) and run imports (`rnnviz.store.export`) come from outside the app: a "file" may be a
FIFO or a device, an archive may claim small sizes and inflate to gigabytes, a JSON text may nest deeply
enough to exhaust Python's recursion. Everything here checks before it reads, and reads at most one byte
more than it allows. Each function raises the error class its caller names, with a message naming the file.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import struct
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

EOCD = b"PK\x05\x06"  # a zip's end-of-central-directory record: 22 bytes + a comment of up to 65,535
ZIP64_LOCATOR = b"PK\x06\x07"
MAX_CENTRAL_DIRECTORY = 1 << 20  # the member list a zip declares; ~46 bytes + the name per member


def mb(n: int) -> str:
    """A byte count as a message shows it, e.g. '200 MB'."""
    return f"{n / 2**20:,.0f} MB" if n >= 2**20 else f"{n:,} bytes"


def regular(path: Path, limit: int, error: type[Exception] = ValueError) -> None:
    """Refuses anything but a regular file of at most `limit` bytes, before it is opened (a FIFO blocks on
    open; a device such as /dev/zero never ends)."""
    try:
        info = os.stat(path)
    except (OSError, ValueError) as e:
        raise error(f"{path}: cannot be read ({getattr(e, 'strerror', None) or e})") from e
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{path}: not a regular file (a folder, FIFO or device?). Put the standard file there.")
    if info.st_size > limit:
        raise error(f"{path}: {mb(info.st_size)}, more than the {mb(limit)} allowed for this file")


def read_capped(source: BinaryIO, size: int, where: str, limit: int, error: type[Exception] = ValueError) -> bytes:
    """One archive member whose header declares `size` bytes, refused when that or what it really holds
    exceeds `limit` (reads at most `limit` + 1 bytes: headers can lie)."""
    if size > limit:
        raise error(f"{where} unpacks to {mb(size)}, more than the {mb(limit)} allowed")
    blob = source.read(limit + 1)
    if len(blob) > limit:
        raise error(f"{where} unpacks to more than the {mb(limit)} allowed (its header says {mb(size)})")
    return blob


def open_zip(blob: bytes, where: str, max_members: int, error: type[Exception] = ValueError) -> zipfile.ZipFile:
    """A zip archive held in memory, refused before Python parses its member list when that list is long.

    `zipfile` builds one object per declared member: a few megabytes of central directory can declare
    millions of them. The end record's member count and directory size are read first (zip64 archives,
    which only archives of over 65,535 members or 4 GB need, are refused).
    """
    end = blob.rfind(EOCD, max(0, len(blob) - 22 - 65_535))
    if end < 0 or len(blob) < end + 22:
        raise error(f"{where} is not a zip file (no end-of-archive record)")
    _, _, _, count, cd_size, _, _ = struct.unpack("<HHHHIIH", blob[end + 4:end + 22])
    if count > max_members:
        raise error(f"{where} holds {count:,} members; at most {max_members} are allowed")
    if cd_size > MAX_CENTRAL_DIRECTORY or (end >= 20 and blob[end - 20:end - 16] == ZIP64_LOCATOR):
        raise error(f"{where} declares a member list of {mb(cd_size)} (or zip64); refusing it")
    try:
        archive = zipfile.ZipFile(io.BytesIO(blob))
        names = archive.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, struct.error) as e:
        raise error(f"{where} is not a readable zip file ({e})") from e
    if len(names) > max_members:
        raise error(f"{where} holds {len(names):,} members; at most {max_members} are allowed")
    if len(set(names)) != len(names):
        raise error(f"{where} names a member twice")
    return archive


def read_members(archive: zipfile.ZipFile, where: str, limits: dict[str, int], total: int,
                 error: type[Exception] = ValueError) -> dict[str, bytes]:
    """Every member of `archive`, each read capped: `limits` maps a name, or a suffix such as ".json", to
    its size limit ("" is the default); `total` caps the declared and the real sizes together."""
    infos = archive.infolist()
    declared = sum(i.file_size for i in infos)
    if declared > total:
        big = max(infos, key=lambda i: i.file_size)
        raise error(f"{where} unpacks to {mb(declared)} ({big.filename} {mb(big.file_size)}), more than the "
                    f"{mb(total)} allowed")
    out, used = {}, 0
    for info in infos:
        if info.is_dir():
            continue
        name = info.filename
        limit = limits.get(name) or next((n for s, n in limits.items() if s and name.endswith(s)), limits[""])
        try:
            with archive.open(info) as f:
                out[name] = read_capped(f, info.file_size, f"{where}: {name}", min(limit, total - used), error)
        except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError, RuntimeError, ValueError) as e:
            if isinstance(e, error):
                raise
            raise error(f"{where}: {name} is damaged ({e})") from e
        used += len(out[name])
    return out


_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def json_depth(blob: bytes) -> int:
    """How deeply a JSON text nests arrays and objects, counted without parsing it (no recursion)."""
    code = np.frombuffer(_STRINGS.sub(b'""', blob), np.uint8)
    steps = (np.isin(code, (ord("["), ord("{"))).astype(np.int64) - np.isin(code, (ord("]"), ord("}"))))
    return int(np.cumsum(steps).max(initial=0))


def load_json(blob: bytes, where: str, max_depth: int, error: type[Exception] = ValueError) -> Any:
    """A JSON text (UTF-8), refused when it is malformed or nests deeper than `max_depth`."""
    depth = json_depth(blob)
    if depth > max_depth:
        raise error(f"{where} nests {depth:,} levels deep; at most {max_depth} are allowed")
    try:
        return json.loads(blob.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise error(f"{where} is unreadable: not valid JSON ({str(e)[:200]})") from e
