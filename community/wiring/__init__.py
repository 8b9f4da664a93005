"""How each area of the community domain plugs into the app, one module per area
(``groups``, ``delivery``), each with ``register(app)`` doing the same steps in the same
order as every domain's wiring (see ``franchise.wiring``): settings defaults, blueprints
and template helpers, navigation and today figures, jobs, outbox handlers, hooks, WeChat
subscriptions, demo seeders. Demo data lives in ``community.demo``, commands in
``community.cli``.
"""
