"""Typed payloads of the v1 event catalogue, one module per producer."""
