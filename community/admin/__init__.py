"""The community domain's admin room, one module per area."""
