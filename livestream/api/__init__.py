"""The livestream domain's api room, one module per area."""
