"""What a reader (viewer, integration) sees of a delivery: pure."""

from __future__ import annotations

from services.notify.api.deliveries import without_contacts

ADDRESS = "petugas@dinsos.example.id"


def test_a_reader_sees_no_address_not_even_in_an_error() -> None:
    refused = {
        "_id": "dlv_1",
        "recipient": ADDRESS,
        "recipient_id": "wrk_1",
        "failed_reason": f"SMTP 127.0.0.1:25: SMTPRecipientsRefused: {{'{ADDRESS}': (550, b'unknown')}}",
        "attempts": [{"outcome": "failed", "error": f"SMTPRecipientsRefused: {ADDRESS}"}, {"outcome": "sent"}],
    }
    shown = without_contacts(refused)
    assert ADDRESS not in str(shown) and "recipient" not in shown
    assert shown["id"] == "dlv_1" and shown["recipient_id"] == "wrk_1"
    assert "SMTPRecipientsRefused" in shown["failed_reason"]
