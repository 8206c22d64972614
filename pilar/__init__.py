"""The `pilar` operator command: run the stack locally, issue tokens, read logs, work the DLQ, replay, demo."""
