"""How each area of the franchise domain plugs into the app, one module per area
(``organisation``, ``customers``, ``commerce``, ``payments``), each with ``register(app)``.

Every ``register`` does the same steps in the same order, with the shared helpers:
settings defaults; blueprints (JSON API, then pages) and template helpers; navigation
(``add_navs``), dashboard panels (``add_dashboard``) and the guide's today figures
(``add_today``); jobs (``register_job``); outbox handlers (``register_handler``); hooks
(``add_hook``); WeChat subscriptions (``subscribe``, ``add_pay_notify_handler``); demo
seeders (``add_seeder``). Wiring holds no logic: jobs and listeners live in ``jobs/``,
demo data in ``demo/``, commands in ``cli.py``.
"""
