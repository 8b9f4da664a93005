"""The application factory: a readable chain of ``configure_*`` steps.

``create_app`` builds the shared house (extensions, auth, WeChat layer, web shell,
outbox, scheduler, health, error envelope). It imports no business domain: ``wsgi.py``
hands the app to each domain's ``init_app``.
"""

from __future__ import annotations

from pathlib import Path

from babel import Locale
from flask import Flask, request, session
from flask.sessions import SecureCookieSessionInterface

from app.config import load_config
from app.kept import kept

# Scripts only from our own origin: no page carries inline JavaScript or event-handler
# attributes (page scripts live in app/web/static/js and read data-* / JSON blocks).
CONTENT_SECURITY_POLICY = "script-src 'self'; object-src 'none'; base-uri 'self'"


def create_app(overrides: dict | None = None) -> Flask:
    """Build the shared app from ``SIYU_*`` settings plus ``overrides`` (tests)."""
    app = Flask(__name__, instance_relative_config=False)
    from app.extensions import install_row_id_converter

    install_row_id_converter(app)  # before any route is added
    app.config.from_mapping(load_config(overrides))
    remember_sync_checks(app)
    configure_logging(app)
    configure_extensions(app)
    configure_security(app)
    configure_blueprints(app)
    configure_cli(app)
    from app.errors import register_error_handlers

    register_error_handlers(app)
    return app


def remember_sync_checks(app: Flask, most: int = 512) -> None:
    """Ask once per function whether a hook or view is a coroutine function.

    Flask passes every before- and after-request hook, context processor, teardown and
    the view through ``ensure_sync`` on every request (about a dozen a page), and each
    asks ``inspect.iscoroutinefunction`` again (~1.5 µs); the answer for a function never
    changes. The plain functions are remembered (up to ``most``, so a function made
    afresh per call cannot grow the set); a coroutine function still gets Flask's
    ``async_to_sync`` wrapper every time, as before."""
    plain: set = set()
    ensure = app.ensure_sync

    def ensure_sync(func):
        if func in plain:
            return func
        wrapped = ensure(func)
        if wrapped is func and len(plain) < most:
            plain.add(func)
        return wrapped

    app.ensure_sync = ensure_sync  # type: ignore[method-assign]


def configure_logging(app: Flask) -> None:
    """JSON logs; the start-up warnings (a production running on the emulator) go first."""
    import logging

    from app.logging import setup_json_logging

    setup_json_logging(app)
    for warning in app.config.get("STARTUP_WARNINGS") or ():
        logging.getLogger("siyu.config").warning("WARNING: %s", warning, extra={"event": "sandbox"})


def configure_extensions(app: Flask) -> None:
    from app.extensions import babel, csrf, db, init_openapi, init_redis, login_manager, migrate

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(Path(app.root_path).parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    init_redis(app)

    parsed: dict[str, Locale] = {}  # flask-babel parses the code on every request (~15 µs)

    def as_locale(code: str) -> Locale:
        locale = parsed.get(code)
        if locale is None:
            locale = parsed[code] = Locale.parse(code)
        return locale

    def select_locale():
        asked = request.args.get("lang")  # a shareable ?lang=en link, kept like the switch
        if isinstance(asked, str) and asked in app.config["LANGUAGES"]:
            if session.get("locale") != asked and not request.path.startswith("/api/"):
                session["locale"] = asked  # pages keep it; the API stays stateless
            return as_locale(asked)
        chosen = session.get("locale")
        if isinstance(chosen, str) and chosen in app.config["LANGUAGES"]:
            return as_locale(chosen)
        # Chinese first: English only when chosen with the switch (kept in the session)
        return as_locale(app.config["BABEL_DEFAULT_LOCALE"])

    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(app.root_path + "/translations"),
    )
    install_request_translations(app)
    api = init_openapi(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "POST /api/v1/auth/token"}
    )
    api.spec.options["security"] = [{"bearerAuth": []}]
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from app.db import configure_sqlite

        with app.app_context():
            configure_sqlite(db.engine)
    else:
        from app.db import keep_prepared_statements, ping_after_idle, widen_parse_cache
        from app.pg_cursor import lazy_descriptions

        keep_prepared_statements(app)
        widen_parse_cache()
        with app.app_context():
            ping_after_idle(db.engine, float(app.config["DB_PING_IDLE_SECONDS"]))
            lazy_descriptions(db.engine)


def install_request_translations(app: Flask) -> None:
    """Templates and ``gettext`` translate through the request's catalogue, looked up once
    per request.

    flask-babel finds the domain, locale (``str(Locale)`` each time) and catalogue again
    for every string (~5 µs each; ~100 strings a page, ~60 ``_()`` calls in the HQ
    overview's panels). The catalogue is kept where flask-babel's own ``refresh()`` and
    ``force_locale()`` reset it (``babel_translations`` on its request namespace), so a
    language switch mid-request still takes effect. The app's default domain answers from
    it too, so Python's ``gettext`` / ``lazy_gettext`` share the one lookup.
    """
    from babel.support import NullTranslations
    from flask import has_app_context
    from flask_babel import Domain, get_babel

    from app.web.request_state import babel_namespace

    class RequestDomain(Domain):
        """The default message domain, answering from the request's catalogue."""

        def get_translations(self):
            return catalogue()

    with app.app_context():
        domain = RequestDomain(domain=get_babel().default_domain)
        get_babel().instance.domain_instance = domain  # flask-babel's cached_property

    def catalogue():
        # The app context itself, not the ``g`` proxy: each proxy hop is ~0.5 µs, and a
        # page asks ~20 times.
        cached = getattr(babel_namespace(), "babel_translations", None)
        if cached is None:
            if not has_app_context():
                return NullTranslations()
            cached = Domain.get_translations(domain)  # creates the namespace
            babel_namespace().babel_translations = cached
        return cached

    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
        gettext=lambda s: catalogue().ugettext(s),
        ngettext=lambda s, p, n: catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalogue().unpgettext(c, s, p, n),
        newstyle=True,
    )


def configure_security(app: Flask) -> None:
    """CSRF on every form post; API, callback and sandbox paths use tokens or signatures
    (``app.auth.principal`` refuses a bare session cookie on a state-changing API call).
    Behind ``SIYU_TRUSTED_PROXIES`` reverse proxies, the client address comes from
    ``X-Forwarded-For`` through werkzeug's ``ProxyFix``; otherwise from the socket."""
    from app.extensions import csrf

    exempt_prefixes = ("/api/", "/wecom/", "/_sandbox")
    app.session_interface = ReusedSerializerSessionInterface()
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:  # the client address only from proxies we were told to trust
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    from app.request_body import install_upload_limits

    install_upload_limits(app)  # before the CSRF check reads an upload's form

    @app.before_request
    def _csrf():
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and not request.path.startswith(
            exempt_prefixes
        ):
            csrf.protect()

    security_headers = (
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "SAMEORIGIN"),
        ("Referrer-Policy", "same-origin"),
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    )

    @app.after_request
    def _headers(response):
        """Each security header the response does not set itself (``setdefault``'s rule,
        from one pass over its headers instead of three per header)."""
        headers = response.headers
        present = {name.lower() for name, _value in headers}
        for name, value in security_headers:
            if name.lower() not in present:
                headers.add(name, value)
        return response


class ReusedSerializerSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per key set.

    Flask builds a new serializer on every request (and itsdangerous test-serialises a
    value each time, about 50 µs); the keys only change when the app is reconfigured.
    The kept one also makes its signer and derived keys once (``app.signing``).
    """

    def get_signing_serializer(self, app: Flask):
        from app.signing import KeptSignerSerializer

        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        build = super().get_signing_serializer

        def build_kept():
            serializer = build(app)
            return None if serializer is None else KeptSignerSerializer.like(serializer)

        return kept(app, "siyu_session_serializer", keys, build_kept)


def configure_blueprints(app: Flask) -> None:
    from app import apidocs, auth, health, outbox, scheduler, web, wechat

    auth.init_app(app)
    web.init_app(app)
    wechat.init_app(app)
    outbox.init_app(app)
    scheduler.init_app(app)
    health.init_app(app)
    apidocs.init_app(app)


def configure_cli(app: Flask) -> None:
    from app.cli import register_cli

    register_cli(app)


def drop_repeated_context_processors(app: Flask) -> None:
    """Run Flask's default template context processor once per render, not twice.

    Each blueprint starts with its own copy of ``_default_template_ctx_processor``
    (``g``, ``request``, ``session``) and registering it adds that copy under the
    blueprint's name, so every page rendered from a blueprint ran it again after the
    app's own (same values). Called once every blueprint is registered."""
    from flask.templating import _default_template_ctx_processor

    processors = app.template_context_processors
    for name in [name for name in processors if name is not None]:
        kept_here = [f for f in processors[name] if f is not _default_template_ctx_processor]
        if kept_here:
            processors[name] = kept_here
        else:
            del processors[name]
