"""reporting: the event store, projections and replay, automated reports, the dashboard and the district API."""
