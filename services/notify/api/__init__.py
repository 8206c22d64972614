"""notify's HTTP API: rules, webhooks, the delivery log."""
