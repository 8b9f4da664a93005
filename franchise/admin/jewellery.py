"""Jewellery admin pages (issue 19): HQ's metal price board and the piece registry.

* ``/admin/metal-prices`` (HQ): today's prices per metal, the last 30 days as a
  server-drawn line chart (``app.web.charts``), the entry form (yuan per gram, parsed
  by ``app.money``) and the history with filters, pages and CSV. Entering a price
  reprices every by-weight product of that metal in the same commit.
* ``/admin/pieces`` (HQ, owners): the registered pieces through the tenant scope,
  filtered by product, store, state and serial / certificate, with CSV; HQ registers a
  piece at ``/admin/pieces/new``.

Views never commit; the services' field errors show on the forms.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField

from app.auth.decorators import page_roles
from app.auth.models import ADMIN_UI_ROLES, HQ_ROLES
from app.auth.principal import required_principal
from app.auth.scope import scoped
from app.errors import DomainError
from app.extensions import db
from app.web.form_input import RequiredMark, YuanField, load_form
from app.web.labels import words
from app.web.listing import Column
from franchise.admin.support import (
    choices,
    date_filter,
    list_page,
    render_list,
    save,
    select_filter,
    show_errors,
    store_choices,
    text_filter,
)
from franchise.forms import options
from franchise.models import METALS, Piece, Product, ProductPricing, Store
from franchise.schemas_jewellery import (
    MetalPriceFilterSchema,
    MetalPriceFormSchema,
    PieceCreateSchema,
    PieceFilterSchema,
)
from franchise.services import metal_prices, pieces

bp = Blueprint("jewellery_admin", __name__, url_prefix="/admin", template_folder="../templates")

METAL_LABELS = {"gold": _l("Gold"), "platinum": _l("Platinum"), "silver": _l("Silver")}


class MetalPriceForm(FlaskForm):
    """Renders the entry form; ``MetalPriceFormSchema`` (the API's, in yuan) checks it."""

    metal = SelectField(_l("Metal"), choices=options(METAL_LABELS.items()))
    sell_yuan = YuanField(_l("Sell price (yuan per gram)"), validators=[RequiredMark()])
    buyback_yuan = YuanField(_l("Buy-back price (yuan per gram)"), validators=[RequiredMark()])
    note = StringField(_l("Note"))


def metal_label(metal: str) -> str:
    return str(METAL_LABELS.get(metal, metal))


def price_columns() -> list[Column]:
    return [
        Column("day", _l("Date")),
        Column("metal", _l("Metal"), value=lambda p: metal_label(p.metal)),
        Column("sell_fen_per_gram", _l("Sell price per gram"), money=True),
        Column("buyback_fen_per_gram", _l("Buy-back price per gram"), money=True),
        Column(
            "entered_by",
            _l("Entered by"),
            value=lambda p: p.entered_by.display_name if p.entered_by else "",
        ),
        Column("created_at", _l("Entered at"), time=True),
        Column("note", _l("Note")),
    ]


@bp.route("/metal-prices", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def metal_prices_board():
    """The board: today, the chart, the entry form and the history (CSV with
    ``?format=csv``)."""
    form = MetalPriceForm()
    if request.method != "POST":
        return board_page(form)
    schema = MetalPriceFormSchema()
    try:
        data = load_form(schema, request.form)
        _entry, repriced = metal_prices.record(data, required_principal().user_id)
    except DomainError as exc:
        show_errors(form, exc, schema)
        return board_page(form, 422)
    flash(_("Saved; %(n)s products repriced.", n=repriced), "success")
    return redirect(url_for("jewellery_admin.metal_prices_board"))


def board_page(form: MetalPriceForm, status: int = 200, import_errors: list[str] | None = None):
    """The board page (also shown by the import when a file is refused), or its CSV."""

    def context(_filters: dict) -> dict:
        today = metal_prices.today()
        labels, series = metal_prices.daily_series(30)
        return {
            "form": form,
            "import_errors": import_errors or [],
            "today": [
                {
                    "metal": metal_label(m),
                    "sell": today[f"{m}_fen_per_gram"],
                    "buyback": today[f"{m}_buyback_fen_per_gram"],
                }
                for m in METALS
            ],
            "labels": labels,
            "series": {metal_label(m): values for m, values in series.items()},
            "fields": [
                select_filter("metal", _l("Metal"), [("", _l("All"))] + list(METAL_LABELS.items())),
                date_filter("date_from", _l("From")),
                date_filter("date_to", _l("To")),
            ],
        }

    return list_page(
        MetalPriceFilterSchema,
        metal_prices.history_stmt,
        "metal-prices.csv",
        price_columns(),
        "franchise/jewellery/metal_prices.html",
        context=context,
        status=status,
    )


# --- the piece registry -----------------------------------------------------------------


class PieceForm(FlaskForm):
    """Renders the piece form; ``PieceCreateSchema`` (the API's) checks what is posted."""

    serial = StringField(_l("Serial"), validators=[RequiredMark()])
    product_id = SelectField(_l("Product"), validate_choice=False)
    store_id = SelectField(_l("Store"), validate_choice=False)
    certificate_no = StringField(_l("Certificate number"))
    certificate_lab = StringField(_l("Certificate lab"))
    weight_mg = StringField(
        _l("Weight (mg)"), validators=[RequiredMark()], render_kw={"inputmode": "numeric"}
    )
    purity = StringField(_l("Purity"))


def registered_products() -> list[tuple[int, str]]:
    """Products stocked by registered pieces, for the form and the filter."""
    stmt = (
        select(Product)
        .join(ProductPricing, ProductPricing.product_id == Product.id)
        .where(ProductPricing.tracks_pieces.is_(True))
        .order_by(Product.sku)
    )
    return [(p.id, f"{p.sku} {p.name}") for p in db.session.scalars(stmt)]


def piece_columns() -> list[Column]:
    return [
        Column("serial", _l("Serial")),
        Column("product", _l("Product"), value=lambda p: p.product.name),
        Column("store", _l("Store"), value=lambda p: p.store.name),
        Column("certificate_no", _l("Certificate number")),
        Column("certificate_lab", _l("Certificate lab")),
        Column("weight_mg", _l("Weight (mg)"), numeric=True),
        Column("purity", _l("Purity")),
        Column("state", _l("State"), value=lambda p: pieces.state_label(p)),
        Column("order", _l("Order"), value=lambda p: p.order.order_no if p.order else None),
    ]


@bp.route("/pieces")
@page_roles(*ADMIN_UI_ROLES)
def piece_list():
    """Registered pieces through the tenant scope; CSV with ``?format=csv``."""
    return render_list(
        _l("Pieces"),
        PieceFilterSchema,
        lambda args: scoped(pieces.piece_stmt(args), Piece),
        piece_columns(),
        [
            text_filter("q", _l("Serial or certificate")),
            select_filter("product_id", _l("Product"), [("", _l("All"))] + registered_products()),
            select_filter("store_id", _l("Store"), choices(Store, blank=_l("All"))),
            select_filter(
                "status", _l("State"), [("", _l("All"))] + list(words("piece_state").items())
            ),
        ],
        "pieces.csv",
        "jewellery_admin.piece_new",
    )


@bp.route("/pieces/new", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def piece_new():
    """Register a piece at a store (its product's stock grows by one)."""
    form = PieceForm()
    form.product_id.choices = registered_products()
    form.store_id.choices = store_choices()

    def register(data: dict):
        pieces.register(data, required_principal())

    return save(
        form,
        PieceCreateSchema(),
        register,
        _l("Register a piece"),
        _l("Register"),
        "jewellery_admin.piece_list",
    )
