"""The livestream domain's services: each owns its transaction (see each module)."""
