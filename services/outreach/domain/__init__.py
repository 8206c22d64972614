"""Pure outreach rules and models, no I/O: what the commands take (``models``), the calendar (local days, public
holidays), places, the scheduling rules, the auto-scheduler, campaigns, sessions, held-session reports, follow-ups,
attendance and campaign completion."""
