"""What outreach does for each use case, one module per aggregate (campaigns, sessions, follow-ups): check the
input, load, decide with the pure ``domain`` rules, then write the state and emit the events through the outbox
in one unit of work. Shared by the HTTP routes, the event handlers and the timers."""
