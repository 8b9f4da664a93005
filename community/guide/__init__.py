"""The community domain's guide room, one module per area."""
