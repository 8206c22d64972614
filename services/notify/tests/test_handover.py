"""The handover to the Seksi PSKS/TKSM (seed 001): a WKSBM formed after the penyuluhan in Desa Kampung reaches the
section's address and the session's officer by rule, in Indonesian, with its board — names and roles only."""

from __future__ import annotations

from datetime import date, timedelta

import httpx

from contracts.events.common import BoardMember
from contracts.events.registry import InstitutionFormed
from pilar_dev.testing import bearer, eventually
from services.notify.tests.conftest import Mailbox, Notify
from services.notify.tests.support import DESA, OFFICER, OFFICER_EMAIL, event, scheduled, worker

OPERATOR = bearer("district_operator", "34.03")
PSKS = "seksi.psks@dinsos.example.id"
BOARD = [
    BoardMember(role="anggota", name="Sukardi"),
    BoardMember(role="bendahara", name="Tri Hartini"),
    # A seat as an event of schema 1 from before could carry it: never in a notice.
    BoardMember(role="ketua", name="Suparno", nik="3403131201700001", phone="081299990000"),
    BoardMember(role="sekretaris", name="Wulandari"),
]


def formed(kind: str, event_type: str, name: str, *, session_id: str | None = None) -> InstitutionFormed:
    payload = InstitutionFormed(
        institution_id=f"ins_{event_type}",
        kind=kind,
        name=name,
        region_code=DESA,
        formed_on=date(2019, 8, 20),
        board=BOARD,
        member_ids=["ins_arisan", "ins_kube", "ins_lumbung"],
        session_id=session_id,
    )
    return payload


async def test_formations_reach_the_psks_section_and_the_sessions_officer(
    notify: Notify, client: httpx.AsyncClient, smtp: Mailbox
) -> None:
    rule = {
        "event_pattern": "registry.*_formed",
        "region_code": "34.03",
        "channel": "email",
        "recipients": [PSKS, "officers"],
        "description": "Serah terima data PSKS",
    }
    answer = await client.post("/rules", json=rule, headers=OPERATOR)
    assert answer.status_code == 201, answer.text

    await notify.publish(worker(OFFICER, email=OFFICER_EMAIL))
    await notify.publish(scheduled("ses_kampung", (notify.clock() + timedelta(days=7)).replace(microsecond=0)))

    async def session_known() -> bool:
        return await notify.mongo.db.sessions.count_documents({"_id": "ses_kampung"}) == 1

    await eventually(session_known)
    wksbm = formed("WKSBM", "WKSBM_formed", "WKSBM Kampung Sejahtera", session_id="ses_kampung")
    await notify.publish(event("WKSBM_formed", wksbm, aggregate_id=wksbm.institution_id))
    karang_taruna = formed("KARANG_TARUNA", "KarangTaruna_formed", "Karang Taruna Tunas Muda")
    await notify.publish(event("KarangTaruna_formed", karang_taruna, aggregate_id=karang_taruna.institution_id))

    def handovers(to: str) -> list[str]:
        return sorted(" ".join(m.subject.split()) for m in smtp.mails(to) if "Serah terima data PSKS" in m.subject)

    async def arrived() -> bool:
        return len(handovers(PSKS)) == 2 and len(handovers(OFFICER_EMAIL)) == 1

    await eventually(arrived)
    assert handovers(PSKS) == [
        "Serah terima data PSKS: Karang Taruna Tunas Muda terbentuk — Kampung",
        "Serah terima data PSKS: WKSBM Kampung Sejahtera terbentuk — Kampung",
    ]
    # The Karang Taruna cites no session: its notice names no officer.
    assert handovers(OFFICER_EMAIL) == ["Serah terima data PSKS: WKSBM Kampung Sejahtera terbentuk — Kampung"]
    mail = next(m for m in smtp.mails(PSKS) if "WKSBM" in m.subject)
    text = mail.body()
    assert "telah terbentuk WKSBM baru" in text
    assert "Kampung, Ngawen, Kabupaten Gunungkidul" in text and "Selasa, 20 Agustus 2019" in text
    seats = [line.strip() for line in text.splitlines() if line.strip()[:2] in {"1.", "2.", "3.", "4."}]
    assert seats == [
        "1. Ketua: Suparno",
        "2. Sekretaris: Wulandari",
        "3. Bendahara: Tri Hartini",
        "4. Anggota: Sukardi",
    ]
    assert "Lembaga anggota  : 3" in text
    assert "3403131201700001" not in text and "081299990000" not in text

    [delivery] = await notify.deliveries(recipient=PSKS, event_type="WKSBM_formed")
    assert delivery["status"] == "sent" and delivery["notice"] == "registry.WKSBM_formed"


async def test_a_formation_rule_names_only_roles_a_formation_has(client: httpx.AsyncClient) -> None:
    rule = {"event_pattern": "registry.Pokja_formed", "region_code": "19.05", "channel": "email"}
    refused = await client.post(
        "/rules", json={**rule, "recipients": ["narasumber"]}, headers=bearer("district_operator", "19.05")
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "recipients" or "recipients" in refused.json()["message"]
    accepted = await client.post(
        "/rules",
        json={**rule, "recipients": ["campaign_owner", "pokja@dinsos.babelprov.example.id"]},
        headers=bearer("district_operator", "19.05"),
    )
    assert accepted.status_code == 201, accepted.text
