"""The community domain's demo data, one module per area (``groups``, ``delivery``). Each
area's wiring registers its seeders; ``flask siyu seed-demo`` runs them after the franchise
domain's. Nothing here runs at import time.
"""
