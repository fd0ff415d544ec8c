"""Small helpers shared by the simulator modules: time formats, GitHub-style ids, msgpack."""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

# Every API URL inside a rendered payload starts with this origin; the server swaps it for the
# origin the client used (its Host header), so cached payloads stay valid for any host/port.
API_PLACEHOLDER = "http://api.simulator.invalid"
HTML_ORIGIN = "https://github.com"


def utcnow() -> datetime:
    """Now, at second precision like GitHub's timestamps."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(value: datetime | None) -> str | None:
    """GitHub's REST timestamp form: ``2024-09-16T14:19:35Z``."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """Parse the ISO 8601 forms GitHub accepts for ``since`` (``Z``, offsets, date only)."""
    raw = text.strip()
    if not raw:
        raise ValueError("empty timestamp")
    if len(raw) == 10:
        day = date.fromisoformat(raw)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    parsed = datetime.fromisoformat(raw)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def http_date(value: datetime) -> str:
    """RFC 7231 date for ``Last-Modified``."""
    return format_datetime(value.astimezone(UTC), usegmt=True)


def parse_http_date(text: str) -> datetime | None:
    """Parse an ``If-Modified-Since`` value; None when unparseable (the header is then ignored)."""
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def jsonable(value: Any) -> Any:
    """Turn datetimes into GitHub ``Z`` strings, recursively, for JSON over the control API."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return value


def sha1_hex(*parts: object) -> str:
    """A stable 40-hex "git sha" derived from arbitrary parts."""
    return hashlib.sha1("\x1f".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()


# --- msgpack (the tiny subset GitHub uses inside node ids and cursors) -----------------------


def msgpack_pack(value: Any) -> bytes:
    """Encode ints, strs, None and lists the way msgpack does (enough for ids and cursors)."""
    if value is None:
        return b"\xc0"
    if isinstance(value, bool):
        return b"\xc3" if value else b"\xc2"
    if isinstance(value, int):
        if 0 <= value < 0x80:
            return bytes([value])
        if 0 <= value <= 0xFF:
            return b"\xcc" + struct.pack(">B", value)
        if 0 <= value <= 0xFFFF:
            return b"\xcd" + struct.pack(">H", value)
        if 0 <= value <= 0xFFFFFFFF:
            return b"\xce" + struct.pack(">I", value)
        if value >= 0:
            return b"\xcf" + struct.pack(">Q", value)
        if value >= -32:
            return struct.pack(">b", value)
        return b"\xd3" + struct.pack(">q", value)
    if isinstance(value, str):
        raw = value.encode()
        if len(raw) < 32:
            return bytes([0xA0 | len(raw)]) + raw
        if len(raw) <= 0xFF:
            return b"\xd9" + bytes([len(raw)]) + raw
        return b"\xda" + struct.pack(">H", len(raw)) + raw
    if isinstance(value, Sequence):
        items = list(value)
        head = bytes([0x90 | len(items)]) if len(items) < 16 else b"\xdc" + struct.pack(">H", len(items))
        return head + b"".join(msgpack_pack(v) for v in items)
    raise TypeError(f"cannot pack {type(value).__name__}")


def msgpack_unpack(data: bytes) -> Any:
    """Decode what :func:`msgpack_pack` writes; raises ValueError on anything else."""
    value, end = _unpack(data, 0)
    if end != len(data):
        raise ValueError("trailing bytes")
    return value


def _unpack(data: bytes, pos: int) -> tuple[Any, int]:
    try:
        tag = data[pos]
    except IndexError as exc:
        raise ValueError("truncated") from exc
    pos += 1
    if tag < 0x80:
        return tag, pos
    if tag >= 0xE0:
        return tag - 0x100, pos
    if 0xA0 <= tag <= 0xBF:
        n = tag & 0x1F
        return data[pos : pos + n].decode(), pos + n
    if 0x90 <= tag <= 0x9F:
        return _unpack_list(data, pos, tag & 0x0F)
    fixed = {0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q", 0xD3: ">q"}
    if tag in fixed:
        fmt = fixed[tag]
        size = struct.calcsize(fmt)
        if pos + size > len(data):
            raise ValueError("truncated")
        return struct.unpack(fmt, data[pos : pos + size])[0], pos + size
    if tag == 0xC0:
        return None, pos
    if tag in (0xC2, 0xC3):
        return tag == 0xC3, pos
    if tag == 0xD9:
        n = data[pos]
        return data[pos + 1 : pos + 1 + n].decode(), pos + 1 + n
    if tag == 0xDA:
        (n,) = struct.unpack(">H", data[pos : pos + 2])
        return data[pos + 2 : pos + 2 + n].decode(), pos + 2 + n
    if tag == 0xDC:
        (n,) = struct.unpack(">H", data[pos : pos + 2])
        return _unpack_list(data, pos + 2, n)
    raise ValueError(f"unsupported msgpack tag {tag:#x}")


def _unpack_list(data: bytes, pos: int, count: int) -> tuple[list[Any], int]:
    out = []
    for _ in range(count):
        item, pos = _unpack(data, pos)
        out.append(item)
    return out, pos


def node_id(prefix: str, *parts: int) -> str:
    """GitHub's current global node id: ``PR_kwDOADYVqs6nTpdc`` = prefix + b64url(msgpack([0, ...]))."""
    raw = bytes([0x91 + len(parts), 0]) + b"".join(_pack_uint(p) for p in parts)
    return prefix + "_" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _pack_uint(value: int) -> bytes:
    """Fast path of msgpack_pack for the non-negative ints inside node ids."""
    if value < 0x80:
        return bytes([value])
    if value <= 0xFF:
        return b"\xcc" + bytes([value])
    if value <= 0xFFFF:
        return b"\xcd" + value.to_bytes(2, "big")
    if value <= 0xFFFFFFFF:
        return b"\xce" + value.to_bytes(4, "big")
    return b"\xcf" + value.to_bytes(8, "big")


def legacy_node_id(type_name: str, ident: int) -> str:
    """GitHub's legacy node id: base64 of ``"04:User1644708"`` (still used for users)."""
    return base64.b64encode(f"0{len(type_name)}:{type_name}{ident}".encode()).decode()


def encode_cursor(key: Sequence[Any]) -> str:
    """Opaque GraphQL cursor like GitHub's: base64(``cursor:v2:`` + msgpack(key))."""
    return base64.urlsafe_b64encode(b"cursor:v2:" + msgpack_pack(list(key))).decode()


def decode_cursor(cursor: str) -> list[Any]:
    """Inverse of :func:`encode_cursor`; ValueError for anything that is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("bad cursor") from exc
    if not raw.startswith(b"cursor:v2:"):
        raise ValueError("bad cursor")
    value = msgpack_unpack(raw[len(b"cursor:v2:") :])
    if not isinstance(value, list):
        raise ValueError("bad cursor")
    return value
