"""Pure outreach rules and models, no I/O: what the commands take (``models``), the calendar (Asia/Jakarta, public
holidays), places, the scheduling rules, the auto-scheduler, campaigns, sessions, held-session reports, follow-ups,
attendance and campaign completion."""
