"""Keep secrets out of every message we store or show.

The resources register each secret they read (tokens, App keys) here; any text that leaves the
process through our code (errors stored in ``sync_state``, metadata, logs, CLI output) passes
through :func:`redact` first. PyGithub masks its own logs of the Authorization header.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_secrets: set[str] = set()
MASK = "***"


def register_secret(value: str | None) -> None:
    """Remember a value that must never appear in output (ignored if empty or trivially short)."""
    if value and len(value) >= 6:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """Replace every registered secret in ``text`` by ``***``."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text
