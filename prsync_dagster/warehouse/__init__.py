"""Pick and open the warehouse named by ``PRSYNC_WAREHOUSE_URL`` (DuckDB by default, or Postgres).

URL parsing lives here, apart from the backends, so that a malformed setting fails fast with one
line that names the variable and the accepted forms, before any file or server is touched, and so
that every place that shows a URL (errors, metadata, ``prsync status``) shows it without password.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from prsync_dagster.errors import ConfigurationError
from prsync_dagster.settings import WAREHOUSE_ENV_VAR, warehouse_url_from_env
from prsync_dagster.warehouse.base import Warehouse

#: The environment variable that names the warehouse (see the interface contract).
ENV_VAR = WAREHOUSE_ENV_VAR

ACCEPTED_FORMS = "duckdb:///ABSOLUTE/PATH.duckdb or postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"

_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
_SECRET_QUERY_KEYS = frozenset({"password", "passfile", "sslpassword"})
#: ``password=…`` in a libpq keyword string (``host=x password=y``), a common mistake for a URL.
_KEYWORD_SECRET = re.compile(r"(?i)\b(password|sslpassword)\s*=\s*(?:'[^']*'|[^\s&]+)")


@dataclass(frozen=True)
class WarehouseUrl:
    """A validated warehouse URL: which backend, and what to hand it."""

    kind: Literal["duckdb", "postgres"]
    #: DuckDB: the absolute file path. Postgres: a libpq URL (``postgresql://``) with the password.
    target: str
    #: The URL as shown to people: never contains a password.
    display: str


def describe_url(url: str) -> str:
    """The URL with any password removed, safe for logs, errors and metadata.

    Works on malformed input too (it is used to build the error messages about malformed input).
    """
    text = _KEYWORD_SECRET.sub(r"\1=***", url.strip())
    if "://" not in text:
        # Not a URL at all (perhaps a libpq keyword string); with user info, show only what follows it.
        return "…@" + text.rsplit("@", 1)[1] if "@" in text else text
    scheme, rest = text.split("://", 1)
    authority, sep, tail = _split_authority(rest)
    if "@" in authority:
        userinfo, host = authority.rsplit("@", 1)
        authority = userinfo.split(":", 1)[0] + "@" + host
    tail = _strip_secret_query(tail)
    return f"{scheme}://{authority}{sep}{tail}"


def parse_warehouse_url(url: str) -> WarehouseUrl:
    """Validate a warehouse URL or raise :class:`ConfigurationError` with a one-line reason."""
    text = url.strip()
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme == "duckdb":
        return _parse_duckdb(text)
    if scheme in _POSTGRES_SCHEMES:
        return _parse_postgres(text)
    if not text:
        raise _invalid(text, "it is empty")
    if not scheme:
        raise _invalid(text, "it is not a URL")
    raise _invalid(text, f"unknown scheme {scheme!r}")


def open_warehouse(url: str | None = None, *, lock_timeout_s: float = 60.0) -> Warehouse:
    """Open the warehouse at ``url`` (default: ``$PRSYNC_WAREHOUSE_URL``, else the local DuckDB file).

    Opening is cheap and touches nothing: connections are made per operation, so that DuckDB's
    single-process file lock is held only briefly. Call :meth:`Warehouse.migrate` before use.
    ``lock_timeout_s`` is how long a DuckDB operation waits for another process to let go of the file.
    """
    if url is None or not url.strip():
        url = warehouse_url_from_env()
    parsed = parse_warehouse_url(url)
    if parsed.kind == "duckdb":
        from prsync_dagster.warehouse.duckdb import DuckDBWarehouse

        return DuckDBWarehouse(Path(parsed.target), lock_timeout_s=lock_timeout_s)
    from prsync_dagster.warehouse.postgres import PostgresWarehouse

    return PostgresWarehouse(parsed.target, display=parsed.display)


def _parse_duckdb(text: str) -> WarehouseUrl:
    rest = text.split("://", 1)[1]
    if not rest.startswith("/"):
        if rest:
            raise _invalid(text, "the DuckDB path must be absolute (three slashes: duckdb:///path)")
        raise _invalid(text, "the DuckDB URL has no file path")
    if "?" in rest or "#" in rest:
        raise _invalid(text, "the DuckDB URL takes no query or fragment")
    path = unquote(rest)
    if path.endswith("/") or Path(path) == Path("/"):
        raise _invalid(text, "the DuckDB URL has no file name")
    if "\x00" in path:
        raise _invalid(text, "the DuckDB path contains a NUL character")
    normalized = Path(os.path.normpath(path))
    return WarehouseUrl(kind="duckdb", target=str(normalized), display="duckdb://" + normalized.as_posix())


def _parse_postgres(text: str) -> WarehouseUrl:
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        # urllib's message may quote the netloc; never repeat it.
        reason = (
            "the port is not a valid number (percent-encode '/', '@', ':' in a password)"
            if "port" in str(exc).lower()
            else "it cannot be parsed"
        )
        raise _invalid(text, reason) from None
    if not parts.hostname:
        raise _invalid(text, "the Postgres URL has no host")
    database = unquote(parts.path.lstrip("/"))
    if not database or "/" in database:
        raise _invalid(text, "the Postgres URL must name one database (…/DATABASE)")
    if parts.fragment:
        raise _invalid(text, "the Postgres URL takes no fragment")
    if port == 0:
        raise _invalid(text, "the port is not valid")
    # psycopg (libpq) knows only postgresql:// and postgres://; normalise SQLAlchemy-style schemes.
    target = urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, ""))
    return WarehouseUrl(kind="postgres", target=target, display=describe_url(target))


def _invalid(text: str, reason: str) -> ConfigurationError:
    shown = describe_url(text)
    if len(shown) > 120:
        shown = shown[:117] + "..."
    got = f" (got {shown!r})" if shown else ""
    return ConfigurationError(
        f"{ENV_VAR} is not a valid warehouse URL: {reason}{got}; expected {ACCEPTED_FORMS}"
    )


def _split_authority(rest: str) -> tuple[str, str, str]:
    """Split ``user:pw@host:port/db?q`` into authority, separator and the rest.

    The authority ends at the first ``/``, ``?`` or ``#`` after the last ``@`` so that a password
    containing those characters (unencoded, as people do type them) is still recognised as one.
    """
    start = rest.rfind("@") + 1
    match = re.search(r"[/?#]", rest[start:])
    if match is None:
        return rest, "", ""
    cut = start + match.start()
    return rest[:cut], rest[cut], rest[cut + 1 :]


def _strip_secret_query(tail: str) -> str:
    """Drop ``password=…`` (and similar) query parameters from the part after the authority."""
    if "?" not in tail:
        return tail
    path, _, query = tail.partition("?")
    query, hash_mark, fragment = query.partition("#")
    kept = [
        (k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k.lower() not in _SECRET_QUERY_KEYS
    ]
    return path + ("?" + urlencode(kept) if kept else "") + hash_mark + fragment
