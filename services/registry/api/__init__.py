"""The registry's HTTP routes (DESIGN §6)."""
