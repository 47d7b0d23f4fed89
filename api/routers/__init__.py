"""HTTP routers, one per audience or domain."""
