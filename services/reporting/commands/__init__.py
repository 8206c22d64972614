"""Reporting's use cases, one function each, by aggregate: ``events`` (store and project what arrives, order the
reports it triggers, revise a campaign report), ``reports`` (ask for, read and build reports), ``replays``
(rebuild the projections), ``history`` (a record's events)."""
