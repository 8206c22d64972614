"""Sign-in through an OpenID Connect provider: send the person there (authorization code flow with PKCE, state
and nonce), and on their return exchange the code, verify the ID token and open a console session for the account
its claims make. The console then calls the services with its own token for that account, as for any other."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import structlog

from pilar_runtime.mongo import Mongo, UnitOfWork
from pilar_runtime.settings import OIDC_ALGORITHMS
from pilar_runtime.tokenkeys import KeysUnavailable, RemoteKeys, fetch_json
from services.console import events, store
from services.console.commands.signin import Visit, open_session
from services.console.domain.oidc import (
    Claims,
    OidcRefused,
    Pending,
    account_id,
    account_key,
    authorization_url,
    check_state,
    endpoints,
    person,
)
from services.console.domain.sessions import Timeouts
from services.console.settings import ConsoleSettings

log = structlog.get_logger("console.oidc")
PROVIDER_ACTOR = "oidc"  # who changed an account the provider vouches for: the provider, at the sign-in
TIMEOUT_SECONDS = 10.0


async def _endpoints(issuer: str) -> tuple[str, str, str]:
    try:
        return endpoints(issuer, await fetch_json(f"{issuer.rstrip('/')}/.well-known/openid-configuration"))
    except KeysUnavailable as exc:
        raise OidcRefused("the provider's discovery document is unavailable") from exc


async def start(mongo: Mongo, settings: ConsoleSettings, visit: Visit, redirect_uri: str) -> str:
    """Where to send the person: the provider's authorization endpoint, with this session's state."""
    assert settings.oidc_signin_issuer and settings.oidc_client_id  # the route is there only when configured
    authorize, _, _ = await _endpoints(settings.oidc_signin_issuer)
    pending = Pending.new()
    await store.keep_pending_sign_in(mongo, visit.key, asdict(pending))
    return authorization_url(authorize, settings.oidc_client_id, redirect_uri, pending)


async def finish(
    mongo: Mongo, settings: ConsoleSettings, timeouts: Timeouts, visit: Visit, code: str, state: str, redirect_uri: str
) -> Visit:
    """A new session for the person the provider vouches for (the one before it ends); OidcRefused otherwise."""
    issuer, client_id = settings.oidc_signin_issuer, settings.oidc_client_id
    assert issuer and client_id
    taken = await store.take_pending_sign_in(mongo, visit.key)
    pending = check_state(Pending(**taken) if taken else None, state)
    _, token_endpoint, jwks_uri = await _endpoints(issuer)
    id_token = await _exchange(settings, token_endpoint, code, redirect_uri, pending.verifier)
    where = Claims(
        settings.oidc_signin_role_claim,
        settings.oidc_signin_region_claim,
        {name: role.value for name, role in settings.oidc_role_map.items()},
    )
    claims = await _verified(id_token, RemoteKeys(jwks_uri, OIDC_ALGORITHMS), issuer, client_id)
    found = person(claims, where, pending.nonce)
    now = datetime.now(UTC)
    user_id = account_id(issuer, found.subject)
    on_insert, now_as = (
        {"_id": user_id, "email_key": account_key(issuer, found.subject), "active": True, "created_at": now,
         "created_by": "oidc", "password_hash": None, "failures": [], "locked_until": None, "version": 1},
        {"name": found.name, "email": found.email, "role": found.role, "region": found.region,
         "must_change_password": False, "signs_in_with": "oidc", "updated_at": now, "updated_by": "oidc"},
    )  # fmt: skip

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        # The account audit holds these people too: created at their first sign-in, their role as the provider says.
        before, after = await store.provider_account(uow, on_insert, now_as)
        if before is None:
            uow.emit(events.user_created(after, PROVIDER_ACTOR))
        elif (before["role"], before["region"]) != (after["role"], after["region"]):
            uow.emit(events.user_role_changed(after, before, PROVIDER_ACTOR))
        return after

    account = await mongo.transact(work)
    if not account["active"]:
        log.info("signin.refused", user_id=user_id, reason="inactive")
        raise OidcRefused("the account is deactivated")
    await store.delete_session(mongo, visit.key)
    opened = await open_session(mongo, timeouts, user_id)
    log.info("signin.ok", user_id=user_id, through="oidc")
    return Visit(opened.session_id, opened.csrf, account)


async def _exchange(settings: ConsoleSettings, endpoint: str, code: str, redirect_uri: str, verifier: str) -> str:
    """The code for the ID token (client_secret_basic when the client has a secret, a public client otherwise)."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
    secret = settings.oidc_client_secret
    auth = httpx.BasicAuth(settings.oidc_client_id or "", secret.get_secret_value()) if secret else None
    if auth is None:
        form["client_id"] = settings.oidc_client_id or ""
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False, auth=auth) as client:
            answer = await client.post(endpoint, data=form, headers={"Accept": "application/json"})
        answer.raise_for_status()
        token = answer.json().get("id_token")
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        raise OidcRefused(f"the token endpoint refused the code ({type(exc).__name__})") from exc
    if not isinstance(token, str):
        raise OidcRefused("the token endpoint gave no ID token")
    return token


async def _verified(id_token: str, keys: RemoteKeys, issuer: str, client_id: str) -> dict[str, Any]:
    """The ID token's claims once its signature (the provider's published key), issuer, audience and times hold."""
    try:
        kid = jwt.get_unverified_header(id_token).get("kid")
        key = await keys.key(str(kid)) if kid else None
        if key is None or key.algorithm_name not in OIDC_ALGORITHMS:
            raise OidcRefused("the ID token's key is not the provider's")
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key,
            algorithms=[key.algorithm_name],
            audience=client_id,
            issuer=issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except (jwt.PyJWTError, KeysUnavailable) as exc:
        raise OidcRefused(f"the ID token does not verify ({type(exc).__name__})") from exc
    return claims
