"""Product admin pages (``/admin/products``, HQ only): list with filters and CSV, forms.

Prices are typed in yuan (two decimals) and stored as integer fen; the rules (unique
sku, ranges) live in ``franchise.services.catalog``, whose field errors show on the form.
"""

from __future__ import annotations

from flask import Blueprint, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import Schema, fields, validate
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from app.auth.decorators import page_roles
from app.auth.models import HQ_ROLES
from app.money import Yuan
from app.schemas import Text
from app.web.form_input import RequiredMark, YuanField
from app.web.listing import Column
from franchise.admin.support import render_list, save, select_filter, text_filter
from franchise.api.orders import ProductCreateSchema, product_or_404
from franchise.models import SERVICE_KINDS, Product
from franchise.services import catalog
from franchise.services.catalog import MAX_PRICE_FEN
from franchise.services.service_tickets import kind_label

bp = Blueprint(
    "commerce_products", __name__, url_prefix="/admin/products", template_folder="../templates"
)


class ProductForm(FlaskForm):
    """Renders the product form; ``ProductFormSchema`` (the API's) checks what is posted."""

    sku = StringField(_l("SKU"), validators=[RequiredMark()])
    name = StringField(_l("Name"), validators=[RequiredMark()])
    category = StringField(_l("Category"))
    price_yuan = YuanField(_l("Price (yuan)"), validators=[RequiredMark()], hi=MAX_PRICE_FEN)
    stock = StringField(_l("Stock"), default="0", render_kw={"inputmode": "numeric"})
    care_interval_days = StringField(
        _l("Care interval (days)"),
        description=_l("Days between cleaning / maintenance reminders; empty for none."),
        render_kw={"inputmode": "numeric"},
    )
    care_kind = SelectField(
        _l("Care kind"),
        description=_l("The service each piece is due for when its care interval passes."),
        choices=[],
        coerce=lambda v: "" if v is None else str(v),
    )
    description = TextAreaField(_l("Description"))
    image_url = StringField(_l("Image URL"))
    is_active = BooleanField(_l("On sale"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default = ("", _l("Cleaning (default)"))
        self.care_kind.choices = [default] + [(k, kind_label(k)) for k in SERVICE_KINDS]


class ProductFormSchema(ProductCreateSchema):
    """The product page's form: the API's product, the price typed in yuan."""

    # the same key, another field kind: marshmallow allows it, the checker cannot see it
    price_fen = Yuan(data_key="price_yuan", required=True, hi=MAX_PRICE_FEN)  # type: ignore[assignment]


class ProductFilterSchema(Schema):
    q = Text(validate=validate.Length(max=64))
    category = Text(validate=validate.Length(max=32))
    is_active = fields.Boolean()


ACTIVE_OPTIONS = [("", _l("All")), ("1", _l("On sale")), ("0", _l("Not on sale"))]


def pricing_label(product: Product):
    """Fixed price or by weight (issue 19; one primary-key read per row)."""
    from franchise.admin.product_pricing import PRICING_LABELS
    from franchise.services.pricing import pricing_of

    row = pricing_of(product.id)
    return PRICING_LABELS[row.pricing if row else "fixed"]


def product_columns():
    return [
        Column("sku", _l("SKU"), link=lambda p: url_for("commerce_products.edit", object_id=p.id)),
        Column("name", _l("Name")),
        Column("category", _l("Category")),
        Column("price_fen", _l("Price"), money=True),
        Column("stock", _l("Stock"), numeric=True),
        Column("care_interval_days", _l("Care interval (days)"), numeric=True),
        Column(
            "care_kind",
            _l("Care kind"),
            value=lambda p: kind_label(p.care_kind or "cleaning") if p.care_interval_days else "",
        ),
        Column("is_active", _l("On sale")),
        # issue 19: how it is priced (fixed or by weight) and its sizes
        Column(
            "pricing",
            _l("Pricing"),
            value=pricing_label,
            link=lambda p: url_for("product_pricing_admin.pricing_page", object_id=p.id),
        ),
    ]


@bp.route("")
@page_roles(*HQ_ROLES)
def products():
    """Products, filtered by category, on sale and a search term; CSV with ``?format=csv``."""
    fields_ = [
        text_filter("q", _l("Search")),
        select_filter(
            "category", _l("Category"), [("", _l("All"))] + [(c, c) for c in catalog.categories()]
        ),
        select_filter("is_active", _l("On sale"), ACTIVE_OPTIONS),
    ]
    return render_list(
        _l("Products"),
        ProductFilterSchema,
        catalog.product_stmt,
        product_columns(),
        fields_,
        "products.csv",
        "commerce_products.new",
    )


@bp.route("/new", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def new():
    form = ProductForm()
    return save(
        form,
        ProductFormSchema(),
        catalog.create_product,
        _l("New product"),
        _l("Create"),
        "commerce_products.edit",
    )


@bp.route("/<int:object_id>/edit", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def edit(object_id):
    product = product_or_404(object_id)
    form = ProductForm(obj=product)
    if not form.is_submitted():
        form.price_yuan.data = product.price_fen
    return save(
        form,
        ProductFormSchema(),
        lambda data: catalog.update_product(product, data),
        _l("Edit product"),
        _l("Save"),
        "commerce_products.edit",
    )
