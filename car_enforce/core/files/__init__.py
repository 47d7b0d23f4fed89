"""Files kept as evidence: photos and documents, stored by content hash."""
