"""The overview (``app.web.dashboard``): every domain's figures in one statement, lists as
one JSON value in the database's own order on either database, and the cards drawn in
Python exactly as the template loops they replace drew them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup
from psycopg import _queries
from sqlalchemy import Integer, bindparam, literal, select, union_all
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg

from app.auth.principal import Principal
from app.db import PARSE_CACHE_CHARS, widen_parse_cache
from app.extensions import db, registry
from app.web.attention import Attention
from app.web.dashboard import (
    DashboardSource,
    _joined,
    _statement,
    attention_markup,
    json_rows,
    panels_markup,
)
from tests.fixtures.auth import gen_user, login
from tests.fixtures.randomness import db_examples
from tests.fixtures.statements import statements
from tests.franchise.factories import gen_franchisee

# The loops of web/admin_home.html that attention_markup and panels_markup replace.
ATTENTION_LOOP = """{% for item in todo %}
    <li class="attention-item level-{{ item.level }}{{ ' is-clear' if not item.count }}" data-count="{{ item.count }}">
      <a href="{{ item.url }}"><span class="badge {{ 'badge-danger' if item.level == 'critical' and item.count else ('badge-warn' if item.count else '') }}">{{ item.count|number }}</span>
        <span>{{ item.label }}</span></a></li>
    {% endfor %}"""  # noqa: E501
PANELS_LOOP = """{% for panel in panels %}
  <section class="card dashboard-panel">
    <div class="card-head"><h2>{{ panel.title }}</h2></div>
    {% if panel.stats %}
    <div class="stat-grid">
      {% for stat in panel.stats %}{% set label, value = stat[0], stat[1] %}
      {% if stat|length > 2 and stat[2] %}<a class="stat" href="{{ stat[2] }}"><span class="stat-value">{{ value }}</span><span class="stat-label">{{ label }}</span></a>
      {% else %}<div class="stat"><span class="stat-value">{{ value }}</span><span class="stat-label">{{ label }}</span></div>{% endif %}
      {% endfor %}
    </div>
    {% endif %}
    {% if panel.chart %}{{ panel.chart }}{% endif %}
  </section>
  {% endfor %}"""  # noqa: E501

# The whole content block as the template drew it before app.web.dashboard.page_context.
OLD_CONTENT = (
    """
{% set principal = current_principal() %}
<div class="card welcome">
  <h2>{{ _('Welcome back, %(name)s', name=current_user_name()) }}</h2>
  <p>{% if principal.is_hq %}{{ _('Run groups, content and push plans, livestream campaigns and same-day settlement for every franchise from here.') }}{% else %}{{ _('See your stores, guides, customers, orders and today\\'s settlement statement.') }}{% endif %}
    <span class="gold">{{ role_name(principal.role) }}</span></p>
</div>

<section class="card attention" id="attention">
  <div class="card-head"><h2>{{ _('Needs attention') }}</h2></div>
  {% set waiting = todo|selectattr("count")|list %}
  {% if not waiting %}<p class="muted" id="all-clear">{{ _('Nothing waits for you right now.') }}</p>{% endif %}
  <ul class="attention-list">
    """  # noqa: E501
    + ATTENTION_LOOP
    + """
  </ul>
</section>

<div class="grid grid-2">
  """
    + PANELS_LOOP
    + """
</div>
"""
)

TEXT = st.text(alphabet=st.sampled_from("ab 待处理<>&\"'¥"), max_size=8)
ITEMS = st.lists(
    st.builds(
        Attention,
        TEXT,
        st.integers(0, 2_000_000),
        st.sampled_from(["/admin/alerts?level=info&open=1", "/admin/x", "/a?b=<c>"]),
        st.sampled_from(["critical", "warning", "info", "odd<"]),
    ),
    max_size=6,
)
STAT = st.one_of(
    st.tuples(TEXT, st.one_of(st.integers(0, 10**6), TEXT)),
    st.tuples(TEXT, st.integers(0, 99), st.sampled_from(["", None, "/admin/d?s=open&o=1"])),
)
PANELS = st.lists(
    st.fixed_dictionaries(
        {"title": TEXT},
        optional={
            "stats": st.lists(STAT, max_size=4),
            "chart": st.sampled_from([None, Markup("<svg>图</svg>"), ""]),
        },
    ),
    max_size=5,
)


@db_examples(150)
@given(items=ITEMS, panels=PANELS)
def test_the_cards_are_what_the_template_loops_drew(app, items, panels):
    with app.test_request_context("/admin/"):
        env = app.jinja_env
        assert attention_markup(items) == env.from_string(ATTENTION_LOOP).render(todo=items)
        assert panels_markup(panels) == env.from_string(PANELS_LOOP).render(panels=panels)


def test_the_overview_is_one_statement_besides_the_account(app, ctx, client):
    """HQ and an owner alike: the account, then every panel's figures at once."""
    gen_user("hq-one", "hq_admin")
    gen_user("owner-one", "franchise_owner", franchisee_id=gen_franchisee().id)
    db.session.commit()
    for username in ("hq-one", "owner-one"):
        assert login(client, username).status_code == 302
        client.get("/admin/")  # built on the first view of the role
        with statements() as seen:
            html = client.get("/admin/").get_data(as_text=True)
        assert len(seen) == 2, "\n\n".join(seen)
        assert "FROM franchisees" in seen[1] and "FROM live_campaigns" in seen[1]
        assert 'id="attention"' in html and "dashboard-panel" in html
        client.post("/logout")


def test_the_overview_statement_fits_psycopgs_parse_cache(app):
    """One long statement is kept parsed only up to ``PARSE_CACHE_CHARS``, and renders
    once: no expanding parameter re-rendered on every view."""
    with app.app_context():
        for principal in (Principal("hq_admin", 1), Principal("franchise_owner", 2, 3)):
            stmt, widths = _statement(principal)
            assert stmt is not None and len(widths) == len(registry().dashboard)
            sql = str(stmt.compile(dialect=pg_psycopg.dialect()))
            assert "POSTCOMPILE" not in sql
            widen_parse_cache()
            assert len(sql) <= _queries.MAX_CACHED_STATEMENT_LENGTH == PARSE_CACHE_CHARS


def test_json_rows_come_in_the_databases_order(app, ctx):
    """``json_rows`` (``json_agg … ORDER BY`` on PostgreSQL, ``json_group_array`` over an
    ordered subquery on SQLite) lists the rows as an ``ORDER BY`` of the rows does."""
    names = ["华北", "b", "华东", "A", "", "西南", "a"]
    rows = union_all(
        *[select(literal(v).label("name"), literal(n).label("n")) for n, v in enumerate(names)]
    )
    ordered = [list(row) for row in db.session.execute(rows.order_by("name"))]
    (value,) = db.session.execute(select(json_rows(rows, "name"))).one()
    assert value == ordered and len(value) == len(names)
    empty = select(literal("x").label("name")).where(literal(1) == 0)
    assert db.session.execute(select(json_rows(empty, "name"))).scalar() == []


def test_a_source_adds_columns_parameters_and_panels(app, ctx, client):
    """A source's row reaches its panels, computed with its own parameters from the common
    ones; a source with nothing for the role adds no column and gets no values."""
    parts = _joined([None, select(literal(1), literal(2)), None])
    assert parts[1] == [0, 2, 0]
    seen_values = []

    def figures(principal):
        return select(bindparam("answer", type_=Integer) + 1) if principal.is_hq else None

    def panels(principal, values):
        seen_values.append(tuple(values))
        return [{"title": f"答案 {values[0]}" if values else "无"}]

    source = DashboardSource(figures, panels, lambda common: {"answer": 41})
    registry(app).dashboard.append(source)
    app.extensions.pop("siyu_built_once", None)  # the statement is built with the sources
    try:
        gen_user("hq-src", "hq_admin")
        db.session.commit()
        login(client, "hq-src")
        assert "答案 42" in client.get("/admin/").get_data(as_text=True)
        with app.test_request_context("/admin/"):
            from app.web.dashboard import overview_panels

            owner = Principal("franchise_owner", 2, franchisee_id=1)
            assert {"title": "无"} in overview_panels(owner)
    finally:
        registry(app).dashboard.remove(source)
        app.extensions.pop("siyu_built_once", None)
    assert seen_values == [(42,), ()]


def test_gettext_all_is_gettext_in_the_requests_language(app):
    """The panels' words from one catalogue lookup are ``gettext``'s, in Chinese (the
    default), in English when chosen, and under ``force_locale``."""
    from flask_babel import force_locale, gettext

    from app.web.i18n import gettext_all

    messages = ("Sales", "Open alerts: %(level)s", "On HQ's list", "no such message")
    for path in ("/admin/", "/admin/?lang=en"):
        with app.test_request_context(path):
            assert gettext_all(*messages) == [gettext(m) for m in messages]
            with force_locale("en"):
                assert gettext_all(*messages) == list(messages)
            assert gettext_all("Sales") == ["销售" if path == "/admin/" else "Sales"]


def test_the_page_is_what_the_template_drew(app, ctx, monkeypatch):
    """The content block from ``page_context`` (words translated together, the lists drawn
    in Python) is byte for byte the template's former drawing, for HQ and an owner, in
    Chinese and English, with a name that needs escaping."""
    from app.web import dashboard
    from app.web.attention import collect
    from app.web.dashboard import overview_panels, page_context

    name = "李<b>&'"
    monkeypatch.setattr(dashboard, "current_user_name", lambda: name)
    template = app.jinja_env.get_template("web/admin_home.html")
    for principal in (Principal("hq_admin", 1), Principal("franchise_owner", 2, 3)):
        for path in ("/admin/", "/admin/?lang=en"):
            with app.test_request_context(path):
                values = page_context(principal)
                drawn = "".join(template.blocks["content"](template.new_context(values)))
                todo, panels = collect(overview_panels(principal))
                old = app.jinja_env.from_string(
                    OLD_CONTENT + "|"
                ).render(  # keep its last \n
                    todo=todo,
                    panels=panels,
                    current_principal=lambda p=principal: p,
                    current_user_name=lambda: name,
                )[:-1]
            assert drawn == old
            assert "李&lt;b&gt;&amp;&#39;" in drawn
