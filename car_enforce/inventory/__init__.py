"""A center's current inventory imported from tow-yard software (Towbook-shaped CSV)."""
