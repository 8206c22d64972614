"""Pure outreach rules: the calendar (Asia/Jakarta, public holidays), the scheduling rules, the auto-scheduler,
attendance and campaign totals. No I/O here."""
