"""The community domain's api room, one module per area."""
