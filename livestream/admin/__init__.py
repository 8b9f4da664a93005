"""The livestream domain's admin room, one module per area."""
