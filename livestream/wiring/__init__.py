"""How each area of the livestream domain plugs into the app, one module per area
(``campaigns``, ``targets``, ``training``, ``readiness``, ``live``, ``review``), each with
``register(app)`` doing the same steps in the same order as every domain's wiring (see
``franchise.wiring``): settings defaults, blueprints (JSON API under ``/api/v1``, HQ pages
under ``/admin/live``, guide pages under ``/m/live``) and template helpers, navigation and
today figures, jobs, outbox handlers, hooks, WeChat subscriptions, demo seeders. Demo data
lives in ``livestream.demo``; the domain has no commands yet.
"""
