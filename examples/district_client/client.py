"""An example district system taking Pilar's events: it backfills from reporting's `GET /events`, then follows
the feed, and receives signed webhooks on a small HTTP server — applying every event once.

    PILAR_TOKEN=<integration token> PILAR_WEBHOOK_SECRET=whsec_... \\
        python client.py --reporting http://127.0.0.1:8004 --state ./state --listen 127.0.0.1:8765

What it shows (docs/integration.md explains each rule):
- a cursor (`seq` of the last event read) kept in a file, so a restart resumes where it stopped;
- de-duplication on `event_id`: the same event may come from the feed and from a webhook, or twice from either;
- per aggregate, `aggregate_version` decides: an event older than one already applied is recorded as late and
  does not overwrite the newer state;
- webhook signatures checked per Standard Webhooks, refusing a stale `webhook-timestamp` (replays).

Only the standard library and httpx. The "district's own store" is two files in the state directory:
`state.json` (cursor, seen ids, latest version per aggregate) and `events.jsonl` (what was applied).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import os
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
        state = {"cursor": self.cursor, "seen": self.seen, "versions": self.versions}
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(state))
        os.replace(temporary, self.state_file)  # a crash leaves the old state or the new, never half of one


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


# --- Webhooks ------------------------------------------------------------------------------------------------


def webhook_handler(store: Store, secret: str) -> type[BaseHTTPRequestHandler]:
    class Receive(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the name http.server calls
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not verify_webhook(body, dict(self.headers.items()), secret):
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
    parser.add_argument("--state", type=Path, default=Path("state"), help="folder for the cursor and the log")
    parser.add_argument("--types", help="only these event types, comma-separated (default: all)")
    parser.add_argument("--listen", help="host:port to receive webhooks on (default: no webhooks)")
    parser.add_argument("--once", action="store_true", help="backfill, then exit")
    args = parser.parse_args(argv)
    token = os.environ.get("PILAR_TOKEN")
    if not token:
        parser.error("set PILAR_TOKEN to an integration token")

    store = Store(args.state)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server = None
    if args.listen:
        secret = os.environ.get("PILAR_WEBHOOK_SECRET")
        if not secret:
            parser.error("--listen needs PILAR_WEBHOOK_SECRET, the secret the webhook was registered with")
        host, _, port = args.listen.rpartition(":")
        server = ThreadingHTTPServer((host, int(port)), webhook_handler(store, secret))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        say("webhooks on", f"http://{args.listen}/")
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=args.reporting, headers=headers, timeout=WAIT_SECONDS + 10) as http:
            follow(http, store, args.types, stop, args.once)
    except KeyboardInterrupt:
        pass
    except httpx.HTTPStatusError as exc:
        say("stopped: reporting answered", exc.response.status_code, exc.response.text[:200])
        return 1
    finally:
        if server:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
