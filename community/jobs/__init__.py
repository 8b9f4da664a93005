"""The community domain's jobs room, one module per area."""
