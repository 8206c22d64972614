"""Reporting's pure rules: projections from facts, summaries, campaign progress, report contents."""
