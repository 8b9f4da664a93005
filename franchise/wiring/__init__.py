"""How each area of the franchise domain plugs into the app: blueprints, nav, jobs, CLI,
outbox and notify handlers, demo seeders. ``franchise.init_app`` calls each in order."""
