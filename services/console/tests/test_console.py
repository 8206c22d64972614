"""The console against the real broker and database: first run, sign-in, lockout, CSRF, admin management, the
account events, the keys, and Beranda's figures from reporting limited to the user's region."""

from __future__ import annotations

import asyncio
import json
import stat
from datetime import timedelta
from pathlib import Path

import aio_pika
import httpx
import jwt
import pytest

from contracts import topology
from contracts.events.registry import InstitutionRegistered
from pilar_dev.devstack import free_port
from pilar_dev.testing import RunningApp, Tap, bearer, eventually, publish_event
from pilar_runtime.auth import issue_token
from pilar_runtime.events import new_event
from pilar_runtime.keys import SigningKey
from pilar_runtime.mongo import Mongo
from services.console.app import build
from services.console.commands.tokens import Keys
from services.console.tests.conftest import CSRF, STRONG, Console, console_settings

REFUSED = "E-mail atau kata sandi salah, atau akun sedang dikunci sementara"


async def test_first_run_admin_changes_the_one_time_password_and_sees_beranda(console: Console) -> None:
    path = console.settings.first_password_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    email, one_time = console.first_admin()
    assert email == "admin@dinsos.example"
    browser = console.browser()
    assert (await browser.get("/")).headers["location"] == "/masuk"
    signed = await browser.sign_in(email, one_time)
    assert signed.status_code == 303 and signed.headers["location"] == "/kata-sandi"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain http here
    # Until the password is changed, every page leads to the change-password page.
    assert (await browser.get("/admin/pengguna")).headers["location"] == "/kata-sandi"
    await browser.get("/kata-sandi")
    weak = await browser.post(
        "/kata-sandi", {"current_password": one_time, "new_password": "pendek", "repeated_password": "pendek"}
    )
    assert weak.status_code == 422 and "Kata sandi minimal 10 karakter." in weak.text
    wrong = await browser.post(
        "/kata-sandi", {"current_password": "not-it-at-all", "new_password": STRONG, "repeated_password": STRONG}
    )
    assert wrong.status_code == 422 and "Kata sandi saat ini salah." in wrong.text
    changed = await browser.post(
        "/kata-sandi", {"current_password": one_time, "new_password": STRONG, "repeated_password": STRONG}
    )
    assert changed.status_code == 303
    home = await browser.get("/")
    assert home.status_code == 200 and "<h1>Beranda</h1>" in home.text
    assert "Ringkasan" in home.text and "Sesi minggu ini" in home.text and "Tindak lanjut" in home.text
    # The one-time password no longer opens the account; the new one does.
    assert (await console.browser().sign_in(email, one_time)).status_code == 401
    assert (await console.browser().sign_in(email, STRONG)).headers["location"] == "/"
    await browser.close()


async def test_one_answer_for_wrong_password_and_unknown_email_and_five_failures_lock(console: Console) -> None:
    email, one_time = console.first_admin()
    browser = console.browser()
    unknown = await browser.sign_in("nobody@dinsos.example", one_time)
    wrong = await browser.sign_in(email, "wrong-password-1")
    assert unknown.status_code == wrong.status_code == 401
    assert REFUSED in unknown.text and REFUSED in wrong.text
    assert unknown.text.replace("nobody@dinsos.example", "?") == wrong.text.replace(email, "?")
    for attempt in range(4):
        await browser.sign_in(email, f"wrong-password-{attempt + 2}")
    locked = await browser.sign_in(email, one_time)  # the right password, but locked now
    assert locked.status_code == 401 and REFUSED in locked.text
    user = await console.mongo.db.users.find_one({"email_key": email})
    assert user is not None and user["locked_until"] is not None


async def test_forms_without_the_sessions_csrf_token_are_refused(console: Console) -> None:
    email, one_time = console.first_admin()
    browser = console.browser()
    await browser.get("/masuk")
    refused = await browser.post("/masuk", {"email": email, "password": one_time}, csrf=False)
    assert refused.status_code == 403 and "Formulir kedaluwarsa atau tidak sah" in refused.text
    await browser.sign_in_for_good(email, one_time)
    await browser.get("/admin/pengguna/baru")
    form = {"name": "Sri Wahyuni", "email": "sri@dinsos.example", "role": "viewer", "region": "34.03"}
    assert (await browser.post("/admin/pengguna/baru", form, csrf=False)).status_code == 403
    forged = await browser.http.post("/admin/pengguna/baru", data={**form, "csrf": "forged"})
    assert forged.status_code == 403
    # Another session's token does not do either.
    other = console.browser()
    await other.get("/masuk")
    assert (await browser.http.post("/admin/pengguna/baru", data={**form, "csrf": other.csrf})).status_code == 403
    assert await console.mongo.db.users.count_documents({}) == 1
    # Signing out is a form too.
    assert (await browser.post("/keluar", {}, csrf=False)).status_code == 403
    assert (await browser.post("/keluar", {})).headers["location"] == "/masuk"
    assert (await browser.get("/")).headers["location"] == "/masuk"


async def _registered(exchange: aio_pika.abc.AbstractExchange, amqp_url: str, region: str, name: str) -> None:
    payload = InstitutionRegistered(
        institution_id=f"ins_{region.replace('.', '')}", kind="WKSBM", name=name, region_code=region, status="active"
    )
    event = new_event(
        "institution_registered", payload, actor="op-test", region_code=region, aggregate_id=payload.institution_id,
        aggregate_version=1,
    )  # fmt: skip
    await publish_event(exchange, event, amqp_url=amqp_url)


async def test_an_operator_created_by_the_admin_sees_only_their_regions_figures(
    console: Console, amqp: aio_pika.abc.AbstractRobustConnection, amqp_url: str, namespace: str
) -> None:
    channel = await amqp.channel()
    exchange = await channel.declare_exchange(
        topology.namespaced(topology.EVENTS_EXCHANGE, namespace), aio_pika.ExchangeType.TOPIC, durable=True
    )
    await _registered(exchange, amqp_url, "34.03.01.2001", "WKSBM Wonosari")
    await _registered(exchange, amqp_url, "35.11.01.2001", "WKSBM Bondowoso")

    async def stored() -> bool:
        async with httpx.AsyncClient(base_url=console.reporting_url) as http:
            answer = await http.get("/summary", headers=bearer("admin"))
            return answer.status_code == 200 and answer.json()["institutions"].get("WKSBM", {}).get("active") == 2

    await eventually(stored, what="both institutions in reporting's summary")
    admin = console.browser()
    await admin.sign_in_for_good(*console.first_admin())
    national = await admin.get("/")
    assert "<dt>Lembaga</dt><dd>2</dd>" in national.text
    _, one_time = await admin.create_user("Budhi Wibowo", "Budhi@Dinsos.example", "district_operator", "3403")
    listed = await admin.get("/admin/pengguna")
    assert "Budhi Wibowo" in listed.text and "34.03" in listed.text
    operator = console.browser()
    await operator.sign_in_for_good("budhi@dinsos.example", one_time)
    home = await operator.get("/")
    assert "Ringkasan Kabupaten Gunungkidul" in home.text
    assert "<dt>Lembaga</dt><dd>1</dd>" in home.text
    assert "Bondowoso" not in home.text
    # An operator is no admin: no Admin link, and the admin pages refuse in Indonesian.
    assert "/admin/pengguna" not in home.text
    refused = await operator.get("/admin/pengguna")
    assert refused.status_code == 403 and "Anda tidak berwenang membuka halaman ini." in refused.text
    duplicate = await admin.get("/admin/pengguna/baru")
    assert duplicate.status_code == 200
    again = await admin.post(
        "/admin/pengguna/baru",
        {"name": "Budhi Lain", "email": "budhi@DINSOS.example", "role": "viewer", "region": "34.03"},
    )
    assert again.status_code == 422 and "Alamat e-mail ini sudah dipakai akun lain." in again.text


async def test_deactivation_ends_sessions_and_no_event_carries_an_email_or_password(
    console: Console, amqp: aio_pika.abc.AbstractRobustConnection, namespace: str
) -> None:
    tap = await Tap.open(amqp, namespace, "console.#")
    admin = console.browser()
    email, first_password = console.first_admin()
    await admin.sign_in_for_good(email, first_password)
    user_id, one_time = await admin.create_user("Sri Wahyuni", "sri@dinsos.example", "viewer", "34.03")
    operator = console.browser()
    await operator.sign_in_for_good("sri@dinsos.example", one_time)
    assert (await operator.get("/")).status_code == 200
    await admin.get(f"/admin/pengguna/{user_id}")
    moved = await admin.post(f"/admin/pengguna/{user_id}/peran", {"role": "district_operator", "region": "34.03"})
    assert moved.status_code == 303
    await admin.get(f"/admin/pengguna/{user_id}")
    outside = await admin.post(f"/admin/pengguna/{user_id}/peran", {"role": "viewer", "region": ""})
    assert outside.status_code == 422 and "Wilayah wajib diisi untuk peran selain admin." in outside.text
    me = await console.mongo.db.users.find_one({"email_key": email})
    assert me is not None
    own = await admin.post(f"/admin/pengguna/{me['_id']}/nonaktifkan", {})
    assert own.status_code == 422 and "Anda tidak dapat menonaktifkan akun Anda sendiri." in own.text
    await admin.get(f"/admin/pengguna/{user_id}")
    assert (await admin.post(f"/admin/pengguna/{user_id}/nonaktifkan", {})).status_code == 303
    # The operator's session ended at once, and the account signs in no more.
    assert (await operator.get("/")).headers["location"] == "/masuk"
    assert (await console.browser().sign_in("sri@dinsos.example", STRONG)).status_code == 401

    events = await tap.collect(lambda seen: len(seen) >= 3)
    assert [e["event_type"] for e in events] == ["user_created", "user_role_changed", "user_deactivated"]
    changed = events[1]["payload"]
    assert (changed["previous_role"], changed["role"], changed["region"]) == ("viewer", "district_operator", "34.03")
    assert all(e["region_code"] == "34.03" and e["aggregate_id"] == user_id for e in events)
    stored: list[dict[str, object]] = []

    async def audited() -> bool:
        async with httpx.AsyncClient(base_url=console.reporting_url) as http:
            answer = await http.get(
                "/events", params={"type": "user_created,user_role_changed,user_deactivated"}, headers=bearer("admin")
            )
        stored[:] = answer.json()["items"] if answer.status_code == 200 else []
        return len(stored) == 4

    await eventually(audited, what="reporting's event store keeping the account events")
    # An account change is no district activity: it orders no monthly report.
    reporting = Mongo(console.settings.mongodb_url, f"{namespace}_reporting")
    assert await reporting.db.district_activity.count_documents({}) == 0
    await reporting.close()
    first = next(e for e in stored if e["actor"] == "console")
    assert first["event_type"] == "user_created" and first["region_code"] == ""  # the national first admin
    wire = json.dumps([events, stored]).casefold()
    for secret in ("@dinsos.example", "$argon2", "password", first_password.casefold(), one_time.casefold(),
                   STRONG.casefold()):  # fmt: skip
        assert secret not in wire, f"an event carries {secret!r}"


async def test_the_jwk_set_verifies_the_consoles_tokens_and_keeps_previous_keys(
    stack_settings: dict[str, str], tmp_path: Path
) -> None:
    previous = tmp_path / "previous.pem"
    previous.write_bytes(SigningKey.generate().pem())
    settings = console_settings(stack_settings, tmp_path, previous_key_files=str(previous))
    async with RunningApp(build(settings)) as running, httpx.AsyncClient(base_url=running.url) as http:
        answer = await http.get("/.well-known/jwks.json")
    assert answer.status_code == 200
    published = answer.json()
    keys = Keys.load(settings.signing_key_file, str(previous))
    assert [k["kid"] for k in published["keys"]] == [keys.current.kid, keys.previous[0].kid]
    assert all(set(k) >= {"kty", "crv", "x", "kid"} and "d" not in k for k in published["keys"])
    user = {"_id": "usr_1", "role": "district_operator", "region": "34.03", "name": "Budhi"}
    token = issue_token(
        keys.current, sub=user["_id"], role=user["role"], region=user["region"], ttl=timedelta(minutes=10)
    )
    key = jwt.PyJWKSet.from_dict(published)[jwt.get_unverified_header(token)["kid"]]
    claims = jwt.decode(token, key.key, algorithms=["EdDSA"], audience="pilar", issuer="pilar-console")
    assert (claims["sub"], claims["role"], claims["region"]) == ("usr_1", "district_operator", "34.03")
    assert claims["exp"] - claims["iat"] == 600
    forged = SigningKey.generate().sign({**claims})
    with pytest.raises(jwt.PyJWTError):
        jwt.decode(forged, key.key, algorithms=["EdDSA"], audience="pilar", issuer="pilar-console")


async def test_beranda_says_in_indonesian_when_a_service_does_not_answer_and_idle_sessions_end(
    stack_settings: dict[str, str], tmp_path: Path
) -> None:
    away = f"http://127.0.0.1:{free_port()}"
    idle = 0.05  # minutes: 3 s
    settings = console_settings(
        stack_settings, tmp_path, reporting_url=away, outreach_url=away, session_idle_minutes=idle
    )
    async with RunningApp(build(settings)) as running:
        console = Console(running.url, settings, None, "")  # type: ignore[arg-type]
        browser = console.browser()
        await browser.sign_in_for_good(*console.first_admin())
        home = await browser.get("/")
        await asyncio.sleep(idle * 60 + 0.2)
        later = await browser.get("/")
        await browser.close()
    assert home.status_code == 200
    assert home.text.count("Layanan sedang tidak tersedia. Coba lagi sebentar lagi.") == 3  # each panel says so
    assert "Traceback" not in home.text and "problem" not in home.text
    assert later.status_code == 303 and later.headers["location"] == "/masuk"


async def test_sign_in_attempts_are_limited_per_client_and_cookies_can_be_secure(
    stack_settings: dict[str, str], tmp_path: Path
) -> None:
    settings = console_settings(stack_settings, tmp_path, login_per_minute=3, cookie_secure=True)
    async with RunningApp(build(settings)) as running, httpx.AsyncClient(base_url=running.url) as http:
        page = await http.get("/masuk")
        cookie = page.headers["set-cookie"]
        # A Secure cookie is not sent back over plain http: send it as a browser over https would.
        http.headers["Cookie"] = f"pilar_session={page.cookies['pilar_session']}"
        csrf = CSRF.search(page.text)
        assert csrf is not None
        form = {"email": "nobody@dinsos.example", "password": "wrong-password", "csrf": csrf.group(1)}
        answers = [await http.post("/masuk", data=form) for _ in range(4)]
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert "Terlalu banyak percobaan masuk" in answers[3].text and int(answers[3].headers["retry-after"]) > 0
