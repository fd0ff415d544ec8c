"""Sync errors to Sentry, when ``SENTRY_DSN`` is set; nothing happens otherwise.

Dagster shows a failed run to whoever looks at the UI; teams that run it unattended want the
error where their other alerts go. Only what we capture on purpose is sent (no automatic
integrations), and every event passes through :func:`prsync_dagster.secrets.redact` first.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import sentry_sdk

from prsync_dagster.secrets import redact
from prsync_dagster.settings import Settings

_lock = threading.Lock()
_active_dsn: str | None = None


def report_sync_error(exc: BaseException, *, repo: str, run_id: str | None = None) -> str | None:
    """Send one error event for a failed sync of ``repo``; returns Sentry's event id (or None when
    ``SENTRY_DSN`` is unset). The Sentry client is initialised once per DSN."""
    global _active_dsn
    settings = Settings.from_env()
    if not settings.sentry_dsn:
        return None
    with _lock:
        if settings.sentry_dsn != _active_dsn:
            sentry_sdk.init(
                dsn=settings.sentry_dsn,
                environment=settings.sentry_environment,
                release=f"prsync-dagster@{_version()}",
                default_integrations=False,
                traces_sample_rate=0.0,
                before_send=_scrub,
            )
            _active_dsn = settings.sentry_dsn
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("prsync.repository", repo)
        scope.set_tag("prsync.error", type(exc).__name__)
        if run_id:
            scope.set_tag("dagster.run_id", run_id)
        # one issue per repository and kind of failure, not one per run
        scope.fingerprint = ["prsync-sync-error", type(exc).__name__, repo]
        event_id = sentry_sdk.capture_exception(exc)
    sentry_sdk.flush(timeout=5)
    return event_id


def _scrub(event: Any, hint: Any) -> Any:
    """Remove every registered secret from the whole event, wherever it might have landed."""
    return json.loads(redact(json.dumps(event, default=str)))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("prsync-dagster")
    except PackageNotFoundError:
        return "unknown"
