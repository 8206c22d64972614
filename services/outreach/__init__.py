"""outreach: campaigns, penyuluhan and FGD sessions with their scheduling rules, the auto-scheduler, held sessions
and their follow-ups (tindak lanjut)."""
