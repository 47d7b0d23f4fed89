"""Lots, bidding, auction feeds, transfer of registration, proceeds (later issues)."""
