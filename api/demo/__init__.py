"""The demo region and its seed (the composition level: it builds state through every domain)."""
