"""What the registry does for each use case, one module per aggregate: load, decide with the pure rules of
`domain/`, then write the state and its events (the outbox) in one unit of work. The HTTP routes, the bulk import
and the event handlers all go through these."""
