"""The shared runtime every Pilar service is built on: settings, logs, Mongo, outbox, inbox, bus, timers, auth,
health and metrics. Written once here so the four services stay small."""
