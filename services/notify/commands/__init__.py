"""notify's use cases, one function each, shared by the routes, the event handlers and the timers: `notices`
(what each event and timer means), `deliveries` (recording them), `rules`, `webhooks`."""
