"""Every Flask extension Siyu uses, created unbound here and bound in ``create_app``.

Also holds the Redis connection (real redis-py, or fakeredis with Lua in embedded mode)
and the small registries through which domains plug into the shared app: admin
navigation, scheduled jobs, outbox handlers and WeChat event subscribers. Knows no
business domain.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
from typing import TYPE_CHECKING, ClassVar

import redis
from flask import Flask, current_app
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.spec.plugins import integerconverter2paramschema
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from marshmallow import Schema, fields
from sqlalchemy import BigInteger, DateTime, Integer, MetaData, Table
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import registry as orm_registry
from sqlalchemy.types import TypeDecorator
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from app.query_args import QueryArgsProxy, multiple_keys

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Stores UTC, always returns aware UTC datetimes (SQLite drops the zone otherwise).

    A naive value written to it is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC) if dialect.name != "sqlite" else value
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Money (integer fen) is BIGINT: a day's sums and a jewellery order pass 2**31 fen
# (¥21,474,836.47). SQLite's INTEGER already holds 64 bits, so the SQLite variant keeps
# INTEGER and an embedded database needs no table rebuild to get there.
Money = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base with stable constraint names and UTC datetimes everywhere."""

    registry = orm_registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)

# The base every model subclasses. At run time it is ``db.Model`` itself (Flask-SQLAlchemy
# builds it from ``Base``); a type checker cannot follow that attribute of an instance as
# a base class (mypy #8603), so it is shown the class ``db.Model`` is: ``Base`` with
# Flask-SQLAlchemy's model mixin.
if TYPE_CHECKING:
    from flask_sqlalchemy.model import Model as _FlaskModel

    class Model(Base, _FlaskModel):
        __abstract__ = True
        __table__: ClassVar[Table]  # every model here maps one Table

else:
    Model = db.Model
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


class ErrorEnvelopeSchema(Schema):
    """The error envelope every API error answers with (see app/errors.py)."""

    code = fields.String(required=True, metadata={"description": "Stable error code"})
    message = fields.String(required=True)
    errors = fields.Dict(required=True, metadata={"description": "Field -> messages"})


class SiyuApi(Api):
    """flask-smorest Api whose documented error responses are our envelope."""

    ERROR_SCHEMA = ErrorEnvelopeSchema


def init_openapi(app: Flask) -> SiyuApi:
    """Give ``app`` its own flask-smorest Api. One per app, never a module-level instance:
    ``Api.init_app`` replaces the instance's spec, so a second app built in the same
    process (tests, CLI) would otherwise serve its spec from the first app's
    ``/api/v1/openapi.json``."""
    api = SiyuApi()
    api.register_converter(RowIdConverter, integerconverter2paramschema)  # documented bounds
    api.init_app(app)
    app.extensions["siyu_api"] = api
    return api


def openapi(app: Flask | None = None) -> SiyuApi:
    """This app's flask-smorest Api (blueprints register on it; its spec is the document)."""
    return (app or current_app).extensions["siyu_api"]


def api_blueprint(name: str, import_name: str, description: str) -> SmorestBlueprint:
    """A JSON API blueprint under ``/api/v1``; ``description`` heads its tag in the spec."""
    return SmorestBlueprint(name, import_name, url_prefix="/api/v1", description=description)


MAX_ROW_ID = 2**31 - 1  # the largest INTEGER key on PostgreSQL


class RowIdConverter(IntegerConverter):
    """``<int:…>`` in every URL is a row id: 0..2**31-1 unless the rule says otherwise.

    Werkzeug's converter takes any length of digits, and PostgreSQL refuses an integer
    key beyond its range with an error instead of finding no row. Bounding it here makes
    such a path a 404 before any view runs, and the OpenAPI document says so (maximum).
    """

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ROW_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def install_row_id_converter(app: Flask) -> None:
    """Make ``int`` mean ``RowIdConverter`` for every rule added after this call."""
    app.url_map.converters["int"] = RowIdConverter


class SchemaReusingParser(FlaskParser):
    """webargs' parser, building each ``@blp.arguments`` schema class once.

    webargs instantiates a schema class on every request, and marshmallow deep-copies
    every declared field when it does (about 80 µs a request); a loaded schema keeps no
    state between loads, so one instance per class serves every thread. The query string
    of such a schema is read through ``app.query_args.QueryArgsProxy`` (its list-valued
    keys known once; no exception per field the query leaves out).
    """

    def __init__(self) -> None:
        super().__init__()
        self._schemas: dict[type, Schema] = {}
        self._multiple: dict[type, set[str]] = {}

    def load_querystring(self, req, schema: Schema):
        kind = type(schema)
        if self._schemas.get(kind) is not schema or not isinstance(req.args, MultiDict):
            return super().load_querystring(req, schema)
        keys = self._multiple.get(kind)
        if keys is None:
            keys = self._multiple.setdefault(kind, multiple_keys(schema))
        return QueryArgsProxy(req.args, keys)

    def _get_schema(self, argmap, req):
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            schema = self._schemas.get(argmap)
            return schema if schema is not None else self._schemas.setdefault(argmap, argmap())
        return super()._get_schema(argmap, req)


# Set before any domain's api module decorates its views (they import this module first).
SmorestBlueprint.ARGUMENTS_PARSER = SchemaReusingParser()

_fake_server_lock = threading.Lock()


def init_redis(app: Flask) -> None:
    """Connect to ``REDIS_URL``, or start an in-process fakeredis (with Lua for locks)."""
    url = app.config.get("REDIS_URL")
    if url:
        client = redis.Redis.from_url(
            url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=10
        )
    else:
        import fakeredis

        with _fake_server_lock:
            server = app.config.get("FAKEREDIS_SERVER") or fakeredis.FakeServer()
        client = fakeredis.FakeRedis(server=server)
    app.extensions["siyu_redis"] = client


def get_redis(app: Flask | None = None) -> redis.Redis:
    """The app's Redis client (real or stand-in)."""
    return (app or current_app).extensions["siyu_redis"]


@dataclass
class NavItem:
    """One entry of the admin side navigation or the mobile bottom tabs."""

    section: str  # "admin" or "mobile"
    group: str
    label: str
    endpoint: str
    roles: tuple[str, ...]
    icon: str = ""
    order: int = 100


@dataclass
class Registry:
    """What domains register on the shared app in their ``init_app``."""

    nav: list[NavItem] = field(default_factory=list)
    jobs: list[dict] = field(default_factory=list)
    outbox_handlers: dict = field(default_factory=dict)
    outbox_batch_handlers: dict = field(default_factory=dict)
    wecom_subscribers: dict = field(default_factory=dict)
    pay_notify_handlers: list = field(default_factory=list)
    seeders: list = field(default_factory=list)
    dashboard: list = field(default_factory=list)
    today: list = field(default_factory=list)
    hooks: dict[str, list] = field(default_factory=dict)


def registry(app: Flask | None = None) -> Registry:
    """The per-app registry of navigation, jobs, outbox handlers and subscribers."""
    app = app or current_app
    return app.extensions.setdefault("siyu_registry", Registry())


def add_hook(app: Flask, name: str, listener) -> None:
    """Plug ``listener`` into the hook ``name`` of this app (once, however often called).

    The one mechanism between domains: a lower domain names a hook and calls
    ``hooks(name)`` where it happens; a higher one adds its listener in ``init_app``.
    """
    listeners = registry(app).hooks.setdefault(name, [])
    if listener not in listeners:
        listeners.append(listener)


def remove_hook(app: Flask, name: str, listener) -> None:
    """Unplug ``listener`` from the hook ``name`` (no error when it was not there)."""
    listeners = registry(app).hooks.get(name, [])
    if listener in listeners:
        listeners.remove(listener)


def hooks(name: str, app: Flask | None = None) -> list:
    """The listeners of the hook ``name`` on the current app, in the order added."""
    return registry(app).hooks.get(name, [])


def add_nav(app: Flask, section: str, group: str, label: str, endpoint: str, roles, **kw) -> None:
    """Register a navigation entry; the layouts show those the viewer's role may open."""
    registry(app).nav.append(NavItem(section, group, label, endpoint, tuple(roles), **kw))


def add_navs(app: Flask, section: str, entries) -> None:
    """Register the ``section``'s (``admin`` or ``mobile``) entries given as ``(group, label,
    endpoint, roles, icon, order)`` tuples: the tables each ``<domain>/wiring/<area>.py``
    declares."""
    for group, label, endpoint, roles, icon, order in entries:
        add_nav(app, section, group, label, endpoint, roles, icon=icon, order=order)


def add_seeder(app: Flask, seeder) -> None:
    """Register a demo seeder ``seeder(app) -> list[str]``; ``flask siyu seed-demo`` runs
    them in the order added, so a seeder comes after those whose data it needs."""
    registry(app).seeders.append(seeder)


def register_area(
    app: Flask,
    modules: Iterable[ModuleType] = (),
    *,
    navs: dict[str, Iterable[tuple]] | None = None,
    hooks: Iterable[tuple[str, Callable]] = (),
    seeders: Iterable[Callable] = (),
) -> None:
    """The registrations every area's ``register(app)`` makes, in one way and in the order
    given: each of its ``modules``' blueprint (a JSON API module's ``blp`` on the Api, a
    pages module's ``bp`` on the app), its navigation tables by section (``{"admin": …,
    "mobile": …}``, see ``add_navs``), its ``(hook name, listener)`` pairs and its demo
    seeders. What only some areas have (jobs, outbox handlers, WeChat subscriptions,
    template helpers) the area's ``register`` adds itself."""
    for module in modules:
        if hasattr(module, "blp"):
            openapi(app).register_blueprint(module.blp)
        else:
            app.register_blueprint(module.bp)
    for section, entries in (navs or {}).items():
        add_navs(app, section, entries)
    for name, listener in hooks:
        add_hook(app, name, listener)
    for seeder in seeders:
        add_seeder(app, seeder)
