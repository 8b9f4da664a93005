"""The franchise admin pages, one module per area; the organisation pages
(``/admin/org/...``) are ``views`` with the listing, CSV and form helpers in ``support``.
``franchise.wiring`` registers the blueprints and their navigation entries.
"""
