"""The franchise domain's mobile pages for store guides (``/m/...``), one module per area."""
