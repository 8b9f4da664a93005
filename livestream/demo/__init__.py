"""The livestream domain's demo data: ``campaigns`` (three campaigns at different stages,
registered by ``livestream.wiring.campaigns``). Nothing here runs at import time.
"""
