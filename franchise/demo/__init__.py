"""The franchise domain's demo data, one module per area (``organisation``, ``customers``,
``commerce``, ``payments``). Each area's wiring registers its seeder; ``flask siyu
seed-demo`` (and ``scripts/run``) runs them in that order. Nothing here runs at import time.
"""
