"""The PRC calendar: court periods in calendar days, internal targets in working days."""
