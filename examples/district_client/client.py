"""An example district system taking Pilar's events: it backfills from reporting's `GET /events`, then follows
the feed, and receives signed webhooks on a small HTTP server — applying every event once.

    PILAR_TOKEN=<integration token> python client.py --reporting http://127.0.0.1:8004 \\
        --notify http://127.0.0.1:8003 --region 34.03 --state ./state --listen 127.0.0.1:8765
    PILAR_TOKEN=<integration token> python client.py --notify http://127.0.0.1:8003 --state ./state --rotate-secret

What it shows (docs/integration.md explains each rule):
- a cursor (`seq` of the last event read) kept in a file, so a restart resumes where it stopped;
- one feed for several event types (`type=a,b`), followed with a long poll (`wait=`);
- de-duplication on `event_id`: the same event may come from the feed and from a webhook, or twice from either;
- per aggregate, `aggregate_version` decides: an event older than one already applied is recorded as late and
  does not overwrite the newer state;
- its own webhook, registered with its integration token — or found again among its own on a restart — and its
  secret rotated on request;
- webhook signatures checked per Standard Webhooks, refusing a stale `webhook-timestamp` (replays).

Only the standard library and httpx. The "district's own store" is files in the state directory: `state.json`
(cursor, seen ids, latest version per aggregate), `events.jsonl` (what was applied) and `webhook.json` (the
webhook's id, URL and secret; readable by its owner only).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import signal
import sys
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

TOLERANCE_SECONDS = 300  # refuse a webhook signed more than 5 minutes from our clock
SEEN_KEPT = 50_000  # event ids remembered for de-duplication (far more than a day of a district's events)
PAGE = 500
WAIT_SECONDS = 20  # long-poll: a server that does not know `wait` answers at once, and we pause instead
PAUSE_SECONDS = 1.0
WEBHOOK_PATH = "/pilar/events"


# --- Webhook signatures (Standard Webhooks) ---------------------------------------------------------------


def webhook_key(secret: str) -> bytes:
    """`whsec_<base64>` stands for those bytes; any other secret for its UTF-8 bytes (as Pilar signs)."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    return secret.encode()


def verify_webhook(body: bytes, headers: Mapping[str, str], secret: str, now: float | None = None) -> bool:
    """True when `webhook-signature` carries a valid `v1` signature of "{id}.{timestamp}.{body}" and the timestamp
    is within five minutes of our clock."""
    found = {name.lower(): value for name, value in headers.items()}
    message_id, stamp = found.get("webhook-id", ""), found.get("webhook-timestamp", "")
    if not message_id or not stamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(stamp)) > TOLERANCE_SECONDS:
        return False
    try:
        key = webhook_key(secret)
    except binascii.Error:
        return False
    signed = f"{message_id}.{stamp}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    # Several signatures, space-separated, while the sender rotates its key: one match is enough.
    return any(hmac.compare_digest(expected, offered) for offered in found.get("webhook-signature", "").split())


# --- The district's own store --------------------------------------------------------------------------------


class Store:
    """Cursor, seen event ids and the latest version applied per aggregate, saved atomically after each batch."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.state_file = folder / "state.json"
        self.log_file = folder / "events.jsonl"
        state = json.loads(self.state_file.read_text()) if self.state_file.exists() else {}
        self.cursor: int = state.get("cursor", 0)
        self.seen: list[str] = state.get("seen", [])
        self.versions: dict[str, int] = state.get("versions", {})
        self._seen = set(self.seen)
        self.lock = threading.Lock()  # the feed and the webhook server apply events from two threads

    def apply(self, event: dict[str, Any], via: str) -> str:
        """Apply one event once; returns what happened: `applied`, `late` or `duplicate`."""
        if event["event_id"] in self._seen:
            return "duplicate"
        self.seen.append(event["event_id"])
        self._seen.add(event["event_id"])
        aggregate, version = event["aggregate_id"], event["aggregate_version"]
        outcome = "late" if version <= self.versions.get(aggregate, -1) else "applied"
        if outcome == "applied":
            self.versions[aggregate] = version
        entry = {key: event.get(key) for key in ("event_id", "event_type", "aggregate_id", "aggregate_version")}
        with self.log_file.open("a", encoding="utf-8") as log:
            log.write(json.dumps({**entry, "outcome": outcome, "via": via}) + "\n")
        return outcome

    def save(self) -> None:
        del self.seen[:-SEEN_KEPT]
        self._seen = set(self.seen)
        write_private(self.state_file, {"cursor": self.cursor, "seen": self.seen, "versions": self.versions})


def write_private(path: Path, content: dict[str, Any]) -> None:
    """Readable by the owner only, and replaced whole: a crash leaves the old content or the new, never half."""
    temporary = path.with_suffix(".tmp")
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        json.dump(content, out)
    os.replace(temporary, path)


class WebhookFile:
    """`webhook.json`: our webhook's id, URL and secret. Apart from `state.json` because `--rotate-secret` rewrites
    it while the client may be running; the receiver reads it for every delivery, so a new secret holds at once."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.file = folder / "webhook.json"

    def load(self) -> dict[str, str] | None:
        found: dict[str, str] | None = json.loads(self.file.read_text()) if self.file.exists() else None
        return found

    def save(self, webhook_id: str, url: str, secret: str) -> None:
        write_private(self.file, {"id": webhook_id, "url": url, "secret": secret})


def say(*words: object) -> None:
    print(*words, flush=True)


def apply_batch(store: Store, events: list[dict[str, Any]], via: str) -> None:
    # Within a batch, each aggregate's events in version order (the feed's order is arrival order).
    with store.lock:
        for event in sorted(events, key=lambda e: (e["aggregate_id"], e["aggregate_version"])):
            outcome = store.apply(event, via)
            say(outcome, event["event_type"], event["aggregate_id"], f"v{event['aggregate_version']}", "via", via)
        store.save()


# --- The feed: backfill, then follow -----------------------------------------------------------------------


def read_page(http: httpx.Client, cursor: int, event_types: str | None, wait: int) -> dict[str, Any]:
    params: dict[str, Any] = {"after": cursor, "limit": PAGE, "wait": wait}
    if event_types:
        params["type"] = event_types
    response = http.get("/events", params=params)
    response.raise_for_status()
    page: dict[str, Any] = response.json()
    return page


def follow(http: httpx.Client, store: Store, event_types: str | None, stop: threading.Event, once: bool) -> None:
    """Backfill page by page; then (unless `once`) keep asking for what comes after the cursor."""
    following = False
    while not stop.is_set():
        asked = time.monotonic()
        try:
            page = read_page(http, store.cursor, event_types, WAIT_SECONDS if following else 0)
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code in (401, 403):
                raise  # a token problem does not heal by waiting
            say("feed answered", exc.response.status_code, "- trying again")
            stop.wait(5)
            continue
        except httpx.TransportError as exc:
            say("feed unreachable:", type(exc).__name__, "- trying again")
            stop.wait(5)
            continue
        if page["items"]:
            apply_batch(store, page["items"], "feed")
            with store.lock:
                store.cursor = page["next"]
                store.save()
            continue
        if not following:
            say("backfilled up to", store.cursor)
            if once:
                return
            following = True
            say("following")
        # An empty answer that came back at once: the server did not wait, so pause before asking again.
        stop.wait(max(0.0, PAUSE_SECONDS - (time.monotonic() - asked)))


# --- Our webhook on notify -----------------------------------------------------------------------------------


def patterns_for(event_types: str | None) -> list[str]:
    """The webhook asks for what the feed reads: `*.<type>` (any producer) for each type, or every event."""
    names = [name.strip() for name in (event_types or "").split(",") if name.strip()]
    return [f"*.{name}" for name in names] or ["*.*"]


def own_webhooks(notify: httpx.Client) -> list[dict[str, Any]]:
    """Our webhooks: an integration token lists only those it registered."""
    found: list[dict[str, Any]] = []
    while True:
        answer = notify.get("/webhooks", params={"limit": 500, "offset": len(found)})
        answer.raise_for_status()
        items = answer.json()["items"]
        found += items
        if len(items) < 500:
            return found


def rotate_secret(notify: httpx.Client, saved: WebhookFile, webhook_id: str, url: str) -> dict[str, Any]:
    """A new secret from notify, kept at once; the old one keeps signing beside it for the grace period."""
    answer = notify.post(f"/webhooks/{webhook_id}/rotate-secret")
    answer.raise_for_status()
    rotated: dict[str, Any] = answer.json()
    saved.save(webhook_id, url, rotated["secret"])
    return rotated


def ensure_webhook(notify: httpx.Client, saved: WebhookFile, url: str, patterns: list[str], region: str) -> None:
    """Our webhook for `url`, registered once: one of ours with that URL is used again (its patterns brought in
    line), otherwise one is registered. Its secret: the one kept in `webhook.json`, else `PILAR_WEBHOOK_SECRET`,
    else a new random one; a webhook found with no secret known here gets a new one by rotation."""
    known = saved.load()
    mine = next((hook for hook in own_webhooks(notify) if hook["url"] == url), None)
    if mine is None:
        secret = os.environ.get("PILAR_WEBHOOK_SECRET") or "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        body = {"url": url, "event_patterns": patterns, "region_code": region, "secret": secret}
        answer = notify.post("/webhooks", json={**body, "description": "example district client"})
        answer.raise_for_status()
        saved.save(answer.json()["id"], url, secret)
        say("webhook registered", answer.json()["id"])
        return
    if mine["event_patterns"] != patterns:
        notify.patch(f"/webhooks/{mine['id']}", json={"event_patterns": patterns}).raise_for_status()
    if known and known["id"] == mine["id"]:
        saved.save(mine["id"], url, known["secret"])
    elif os.environ.get("PILAR_WEBHOOK_SECRET"):
        saved.save(mine["id"], url, os.environ["PILAR_WEBHOOK_SECRET"])
    else:
        rotate_secret(notify, saved, mine["id"], url)
        say("webhook secret unknown here: rotated")
    say(f"webhook found {mine['id']}" + (" (paused)" if mine.get("paused") else ""))


# --- Receiving webhooks --------------------------------------------------------------------------------------


def webhook_handler(store: Store, saved: WebhookFile) -> type[BaseHTTPRequestHandler]:
    class Receive(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the name http.server calls
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            known = saved.load()  # read anew: a rotation may have replaced the secret
            if known is None or not verify_webhook(body, dict(self.headers.items()), known["secret"]):
                say("webhook rejected: bad signature or stale timestamp")
                self.send_response(400)
                self.end_headers()
                return
            say("webhook verified", self.headers["webhook-id"], self.headers.get("X-Pilar-Event-Type", ""))
            message = json.loads(body)
            if "event_id" in message:  # an event; a rule's notice ({"notice", "facts"}) is only printed
                apply_batch(store, [message], "webhook")
            # Answer quickly: Pilar retries anything but a 2xx, and the `webhook-id` stays the same.
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # our own lines say what happened

    return Receive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reporting", default="http://127.0.0.1:8004", help="reporting's base URL")
    parser.add_argument("--notify", default="http://127.0.0.1:8003", help="notify's base URL (webhooks)")
    parser.add_argument("--state", type=Path, default=Path("state"), help="folder for the cursor, log and webhook")
    parser.add_argument("--types", help="only these event types, comma-separated (default: all)")
    parser.add_argument("--listen", help="host:port to receive webhooks on (default: no webhooks)")
    parser.add_argument("--webhook-url", help=f"the URL notify posts to (default: http://<listen>{WEBHOOK_PATH})")
    parser.add_argument("--region", help="the region the webhook covers (needed to register one), e.g. 34.03")
    parser.add_argument("--once", action="store_true", help="backfill, then exit")
    parser.add_argument("--rotate-secret", action="store_true", help="give our webhook a new secret, then exit")
    args = parser.parse_args(argv)
    token = os.environ.get("PILAR_TOKEN")
    if not token:
        parser.error("set PILAR_TOKEN to an integration token")
    headers = {"Authorization": f"Bearer {token}"}
    saved = WebhookFile(args.state)
    try:
        with httpx.Client(base_url=args.notify, headers=headers, timeout=30) as notify:
            if args.rotate_secret:
                known = saved.load()
                if known is None:
                    parser.error("no webhook registered from this state folder yet: run with --listen first")
                rotated = rotate_secret(notify, saved, known["id"], known["url"])
                until = rotated["webhook"].get("previous_secret_until")
                say("new webhook secret (shown once, kept in webhook.json):", rotated["secret"])
                say(f"the old secret signs beside it until {until}" if until else "the old secret signs no more")
                return 0
            return run(args, headers, saved, notify)
    except KeyboardInterrupt:
        return 0
    except httpx.HTTPStatusError as exc:
        request, answer = exc.request, exc.response
        say("stopped:", request.method, request.url.path, "answered", answer.status_code, answer.text[:200])
        return 1
    except httpx.TransportError as exc:
        say("stopped:", exc.request.url.host, "unreachable:", type(exc).__name__)
        return 1


def run(args: argparse.Namespace, headers: dict[str, str], saved: WebhookFile, notify: httpx.Client) -> int:
    store = Store(args.state)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server = None
    if args.listen:
        host, _, port = args.listen.rpartition(":")
        server = ThreadingHTTPServer((host, int(port)), webhook_handler(store, saved))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        say("webhooks on", f"http://{args.listen}/")
    try:
        if server:  # listening first: notify checks at registration that the URL accepts a connection
            if not args.region:
                say("stopped: --listen needs --region, the region the webhook covers")
                return 2
            url = args.webhook_url or f"http://{args.listen}{WEBHOOK_PATH}"
            ensure_webhook(notify, saved, url, patterns_for(args.types), args.region)
        with httpx.Client(base_url=args.reporting, headers=headers, timeout=WAIT_SECONDS + 10) as http:
            follow(http, store, args.types, stop, args.once)
    finally:
        if server:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
