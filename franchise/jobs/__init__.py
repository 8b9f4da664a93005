"""The franchise domain's scheduled jobs, one module per area (registered in ``wiring``)."""
