"""How each area of the community domain plugs into the app (blueprints, nav, jobs, ...)."""
