"""The foundations every stage uses. Nothing in core imports a domain (checked by the layer contracts)."""
