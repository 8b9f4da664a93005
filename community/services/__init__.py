"""The community domain's services room, one module per area."""
