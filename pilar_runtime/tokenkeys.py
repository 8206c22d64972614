"""The public keys a service verifies access tokens with: a JWK Set given inline (``PILAR_JWKS``), fetched from a URL
(``PILAR_JWKS_URL``, the console's ``/.well-known/jwks.json``) or found through an OpenID Connect provider's discovery
document. No source holds a private key, so no service can mint a token.

A fetched set is cached for ``ttl`` seconds. A token naming a key the cache does not hold makes the set be fetched
again, at most every ``refetch`` seconds, so a rotated key is trusted without a restart while a flood of made-up
key ids cannot hammer the issuer. When the keys cannot be had at all, ``KeysUnavailable``: the token may be fine.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import jwt
import structlog

log = structlog.get_logger("pilar.tokenkeys")

FETCH_TIMEOUT_SECONDS = 5.0
MAX_DOCUMENT_BYTES = 256 * 1024


class KeysUnavailable(RuntimeError):
    """No keys to verify with: the JWK Set or the discovery document could not be fetched or read."""


class UnusableKeySet(ValueError):
    """A JWK Set that must not be used: not a set of public signing keys of an accepted algorithm."""


class KeySource(Protocol):
    async def key(self, kid: str) -> jwt.PyJWK | None:
        """The public key named ``kid``, or None when the issuer publishes none by that name."""
        ...


def public_keys(document: Any, algorithms: Collection[str]) -> dict[str, jwt.PyJWK]:
    """The set's signing keys by ``kid``. A private key in the set refuses the whole set: a service holding one
    could mint tokens. Keys of other algorithms, or for encryption, are left out."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise UnusableKeySet('not a JWK Set: expected {"keys": [...]}')
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict):
            raise UnusableKeySet("a JWK Set entry is not an object")
        if "d" in entry or "k" in entry:
            raise UnusableKeySet("the JWK Set holds a private or symmetric key: publish public keys only")
        if entry.get("use", "sig") != "sig" or not isinstance(entry.get("kid"), str):
            continue
        try:
            key = jwt.PyJWK(entry)
        except jwt.PyJWTError:
            continue  # a key type this service cannot use (e.g. another curve) cannot verify its tokens either
        if key.algorithm_name in algorithms:
            keys[entry["kid"]] = key
    return keys


@dataclass
class StaticKeys:
    """Keys given in the settings: nothing to fetch, rotation by a restart."""

    keys: dict[str, jwt.PyJWK]

    async def key(self, kid: str) -> jwt.PyJWK | None:
        return self.keys.get(kid)


async def fetch_json(url: str) -> Any:
    """A JSON document from ``url``; KeysUnavailable (logged) when it cannot be had."""
    try:
        async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=False) as client:
            answer = await client.get(url, headers={"Accept": "application/json"})
        answer.raise_for_status()
        if len(answer.content) > MAX_DOCUMENT_BYTES:
            raise ValueError(f"larger than {MAX_DOCUMENT_BYTES} bytes")
        return json.loads(answer.content)
    except (httpx.HTTPError, ValueError) as exc:
        log.error("tokenkeys.fetch_failed", url=url, error=str(exc) or type(exc).__name__)
        raise KeysUnavailable(f"token keys unavailable from {url}") from exc


@dataclass
class RemoteKeys:
    """A JWK Set fetched from ``url``, cached ``ttl`` seconds, fetched again on an unknown ``kid`` at most every
    ``refetch`` seconds (a failed fetch is retried no sooner either). A stale set still verifies while the URL is
    down, so an issuer's outage does not lock everyone out."""

    url: str
    algorithms: Collection[str]
    ttl: float = 300.0
    refetch: float = 10.0
    keys: dict[str, jwt.PyJWK] | None = None
    fetched_at: float = float("-inf")
    tried_at: float = float("-inf")
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def key(self, kid: str) -> jwt.PyJWK | None:
        now = time.monotonic()
        stale = self.keys is None or now - self.fetched_at >= self.ttl
        if stale or kid not in (self.keys or {}):
            await self._refresh()
        if self.keys is None:
            raise KeysUnavailable(f"token keys unavailable from {self.url}")
        return self.keys.get(kid)

    async def _refresh(self) -> None:
        async with self.lock:
            if time.monotonic() - self.tried_at < self.refetch:
                return  # fetched (or tried) a moment ago, perhaps by a request that waited on the lock before us
            self.tried_at = time.monotonic()
            try:
                document = await fetch_json(self.url)
                keys = public_keys(document, self.algorithms)
            except UnusableKeySet as exc:
                log.error("tokenkeys.unusable_set", url=self.url, error=str(exc))
                return
            except KeysUnavailable:
                return
            if self.keys is not None and keys.keys() != self.keys.keys():
                log.info("tokenkeys.rotated", url=self.url, kids=sorted(keys))
            self.keys, self.fetched_at = keys, time.monotonic()


@dataclass
class DiscoveredKeys:
    """An OpenID Connect provider's keys: ``jwks_uri`` from ``<issuer>/.well-known/openid-configuration`` (whose
    ``issuer`` must be the one configured, as OpenID Connect Discovery requires), then fetched like any JWK Set."""

    issuer: str
    algorithms: Collection[str]
    ttl: float = 300.0
    refetch: float = 10.0
    remote: RemoteKeys | None = None
    tried_at: float = float("-inf")
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def key(self, kid: str) -> jwt.PyJWK | None:
        async with self.lock:
            if self.remote is None and time.monotonic() - self.tried_at >= self.refetch:
                self.tried_at = time.monotonic()
                self.remote = RemoteKeys(await self._jwks_uri(), self.algorithms, self.ttl, self.refetch)
        if self.remote is None:
            raise KeysUnavailable(f"the OpenID Connect provider {self.issuer} could not be asked for its keys")
        return await self.remote.key(kid)

    async def _jwks_uri(self) -> str:
        document = await fetch_json(f"{self.issuer.rstrip('/')}/.well-known/openid-configuration")
        if not isinstance(document, dict) or document.get("issuer") != self.issuer:
            log.error("tokenkeys.discovery_mismatch", issuer=self.issuer)
            raise KeysUnavailable("the OpenID Connect discovery document names another issuer")
        uri = document.get("jwks_uri")
        if not isinstance(uri, str) or not uri.startswith(("https://", "http://")):
            log.error("tokenkeys.discovery_without_jwks_uri", issuer=self.issuer)
            raise KeysUnavailable("the OpenID Connect discovery document names no jwks_uri")
        return uri
