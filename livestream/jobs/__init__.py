"""The livestream domain's jobs room, one module per area."""
