"""Captures (扣押): a police unit's report of a seized car and its transport to an auxiliary center."""
