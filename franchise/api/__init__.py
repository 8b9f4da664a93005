"""The franchise JSON API, one module per area (each a flask-smorest blueprint ``blp``)."""

from franchise.api.org import blp  # noqa: F401 - the organisation API
