"""GitHub App authentication: RS256 JWTs, installations per owner, short-lived installation tokens."""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from github_api_simulator._util import HTML_ORIGIN, iso, legacy_node_id, utcnow
from github_api_simulator.model import Account
from github_api_simulator.payloads import API, user

DEFAULT_PERMISSIONS = {"issues": "read", "metadata": "read", "pull_requests": "read"}
JWT_DOCS = "https://docs.github.com/rest"


def generate_app_key_pair(bits: int = 2048) -> tuple[str, str]:
    """A fresh RSA key pair as PEM strings ``(private_key, public_key)`` for tests."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def public_key_of(private_key_pem: str) -> str:
    """The PEM public key for a PEM private key (so callers may register either)."""
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass
class App:
    """A registered GitHub App."""

    id: int
    slug: str
    name: str
    owner: Account
    bot: Account
    public_key_pem: str
    created_at: datetime
    permissions: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PERMISSIONS))

    @property
    def client_id(self) -> str:
        return f"Iv1.{self.id:016x}"

    def payload(self, installations: int) -> dict[str, Any]:
        return {
            "id": self.id,
            "client_id": self.client_id,
            "slug": self.slug,
            "node_id": legacy_node_id("App", self.id),
            "owner": user(self.owner),
            "name": self.name,
            "description": "Simulated GitHub App",
            "external_url": "https://example.invalid/",
            "html_url": f"{HTML_ORIGIN}/apps/{self.slug}",
            "created_at": iso(self.created_at),
            "updated_at": iso(self.created_at),
            "permissions": self.permissions,
            "events": [],
            "installations_count": installations,
        }


@dataclass
class Installation:
    """An app installed on one account (user or organization)."""

    id: int
    app: App
    account: Account
    repository_ids: frozenset[int] | None
    created_at: datetime

    @property
    def repository_selection(self) -> str:
        return "all" if self.repository_ids is None else "selected"

    def payload(self) -> dict[str, Any]:
        settings = (
            f"{HTML_ORIGIN}/organizations/{self.account.login}/settings/installations/{self.id}"
            if self.account.type == "Organization"
            else f"{HTML_ORIGIN}/settings/installations/{self.id}"
        )
        return {
            "id": self.id,
            "client_id": self.app.client_id,
            "account": user(self.account),
            "repository_selection": self.repository_selection,
            "access_tokens_url": f"{API}/app/installations/{self.id}/access_tokens",
            "repositories_url": f"{API}/installation/repositories",
            "html_url": settings,
            "app_id": self.app.id,
            "app_slug": self.app.slug,
            "target_id": self.account.id,
            "target_type": self.account.type,
            "permissions": self.app.permissions,
            "events": [],
            "created_at": iso(self.created_at),
            "updated_at": iso(self.created_at),
            "single_file_name": None,
            "has_multiple_single_files": False,
            "single_file_paths": [],
            "suspended_by": None,
            "suspended_at": None,
        }


class JWTRejected(Exception):
    """The JWT is not acceptable; ``str(exc)`` is GitHub's message."""


class AppRegistry:
    """Apps, their installations, and the rules GitHub applies to app JWTs."""

    def __init__(self) -> None:
        self.apps: dict[int, App] = {}
        self.installations: dict[int, Installation] = {}
        self.token_ttl = timedelta(hours=1)
        self._next_installation = 40_000_000

    def register(self, app: App) -> App:
        self.apps[app.id] = app
        return app

    def install(
        self, app_id: int, account: Account, installation_id: int | None, repo_ids: frozenset[int] | None
    ) -> Installation:
        app = self.apps.get(app_id)
        if app is None:
            raise KeyError(f"app {app_id} is not registered")
        if installation_id is None:
            self._next_installation += 1
            installation_id = self._next_installation
        inst = Installation(installation_id, app, account, repo_ids, utcnow())
        self.installations[installation_id] = inst
        return inst

    def for_owner(self, app: App, login: str) -> Installation | None:
        for inst in self.installations.values():
            if inst.app is app and inst.account.login.lower() == login.lower():
                return inst
        return None

    def verify(self, token: str) -> App:
        """Check an app JWT like GitHub does (RS256, ``iss`` = app id, at most 10 minutes long)."""
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            issuer = int(claims["iss"])
        except (jwt.PyJWTError, KeyError, TypeError, ValueError) as exc:
            raise JWTRejected("A JSON web token could not be decoded") from exc
        app = self.apps.get(issuer)
        if app is None:
            raise JWTRejected("A JSON web token could not be decoded")
        try:
            claims = jwt.decode(
                token,
                app.public_key_pem,
                algorithms=["RS256"],
                options={"require": ["exp", "iat", "iss"], "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError as exc:
            raise JWTRejected("A JSON web token could not be decoded") from exc
        now = time.time()
        exp, iat = claims["exp"], claims["iat"]
        if not isinstance(iat, int) or iat > now + 60:
            raise JWTRejected(
                "'Issued at' claim ('iat') must be an Integer representing the time that the assertion "
                "was issued."
            )
        if not isinstance(exp, int) or exp <= now:
            raise JWTRejected(
                "'Expiration time' claim ('exp') must be a numeric value representing the future time "
                "at which the assertion expires."
            )
        if exp - iat > 600:
            raise JWTRejected("'Expiration time' claim ('exp') is too far in the future")
        return app


def new_installation_token() -> str:
    """``ghs_`` + 36 alphanumerics, the shape of GitHub's installation tokens."""
    alphabet = string.ascii_letters + string.digits
    return "ghs_" + "".join(secrets.choice(alphabet) for _ in range(36))


def token_expiry(ttl: timedelta) -> datetime:
    return (datetime.now(UTC) + ttl).replace(microsecond=0)
