"""The heart of the platform: cases, vehicles, watches, police adapters and the shared foundations."""
