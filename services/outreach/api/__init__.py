"""The HTTP surface of outreach (DESIGN §6)."""
