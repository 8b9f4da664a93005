"""The livestream domain's guide room, one module per area."""
