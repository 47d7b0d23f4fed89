"""Inspection, price inquiry and the reference price (later issues)."""
