"""HQ's pricing page of one product (``/admin/products/{id}/pricing``, issue 19).

How the product is priced (fixed, or by weight: metal, weight in grams, labour per gram
and per piece in yuan, purity, stocked by registered pieces), today's computed price,
and its sizes / lengths with their own weights and prices, with a form to add one.
Weights are typed in grams (up to three decimals) and kept in milligrams; money is typed
in yuan (``app.money``). The rules and their field errors are
``franchise.services.pricing``'s. Views never commit.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField

from app.auth.decorators import page_roles
from app.auth.models import HQ_ROLES
from app.errors import DomainError
from app.web.form_input import RequiredMark, YuanField, load_form
from franchise.admin.jewellery import METAL_LABELS
from franchise.admin.support import show_errors
from franchise.api.orders import product_or_404
from franchise.forms import options
from franchise.schemas_jewellery import PricingFormSchema, VariantFormSchema
from franchise.services import pricing

bp = Blueprint(
    "product_pricing_admin", __name__, url_prefix="/admin/products", template_folder="../templates"
)
PRICING_LABELS = {"fixed": _l("Fixed price"), "by_weight": _l("By weight")}
KIND_LABELS = {
    "ring_size": _l("Ring size"),
    "chain_length": _l("Chain length"),
    "purity": _l("Purity"),
}


class GramsField(StringField):
    """A weight box in grams: shows a stored weight (mg) as grams, a posted one as typed;
    the page's schema (``Grams``) loads it."""

    def process_formdata(self, valuelist):
        self.data = valuelist[0] if valuelist else ""

    def _value(self):
        if isinstance(self.data, int):
            return f"{self.data / 1000:.3f}"
        return self.data or ""


class PricingForm(FlaskForm):
    """Renders the pricing form; ``PricingFormSchema`` (the API's, in grams and yuan)
    checks it."""

    pricing = SelectField(_l("Pricing"), choices=options(PRICING_LABELS.items()))
    metal = SelectField(
        _l("Metal"), choices=options([("", _l("None"))] + list(METAL_LABELS.items()))
    )
    weight_mg = GramsField(_l("Weight (g)"))
    labour_gram_yuan = YuanField(_l("Labour per gram (yuan)"), validators=[RequiredMark()])
    labour_piece_yuan = YuanField(_l("Labour per piece (yuan)"), validators=[RequiredMark()])
    purity = StringField(_l("Purity"))
    tracks_pieces = BooleanField(_l("Stocked by registered pieces"))


class VariantForm(FlaskForm):
    """Renders the size form; ``VariantFormSchema`` (the API's, in grams) checks it."""

    kind = SelectField(_l("Kind"), choices=options(KIND_LABELS.items()))
    label = StringField(_l("Size or length"), validators=[RequiredMark()])
    weight_mg = GramsField(_l("Weight (g)"))


def _page(product, form, variant_form, status=200):
    return render_template(
        "franchise/jewellery/product_pricing.html",
        product=product,
        row=pricing.pricing_of(product.id),
        form=form,
        variant_form=variant_form,
        variants=pricing.variants_of(product.id),
        kinds=KIND_LABELS,
        pricings=PRICING_LABELS,
        metals=METAL_LABELS,
    ), status


def _post(product, form, schema, action, checkboxes=()):
    """Load the posted ``form`` through ``schema`` and run ``action(product, data)``:
    back to the page when saved, else the page with the field errors (422)."""
    try:
        action(product, load_form(schema, request.form, checkboxes))
    except DomainError as exc:
        show_errors(form, exc, schema)
        return None
    flash(_("Saved."), "success")
    return redirect(url_for("product_pricing_admin.pricing_page", object_id=product.id))


@bp.route("/<int:object_id>/pricing", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def pricing_page(object_id):
    """The product's pricing and sizes; POST saves the pricing."""
    product = product_or_404(object_id)
    row = pricing.pricing_of(product.id)
    if request.method == "POST":
        form = PricingForm()
        schema = PricingFormSchema()
        done = _post(product, form, schema, pricing.configure, ["tracks_pieces"])
        return done or _page(product, form, VariantForm(formdata=None), 422)
    form = PricingForm(obj=row) if row else PricingForm()
    form.labour_gram_yuan.data = row.labour_fen_per_gram if row else 0
    form.labour_piece_yuan.data = row.labour_fen_per_piece if row else 0
    form.metal.data = (row.metal if row else "") or ""
    return _page(product, form, VariantForm(formdata=None))


@bp.route("/<int:object_id>/variants", methods=["POST"])
@page_roles(*HQ_ROLES)
def add_variant(object_id):
    """Add a size or length to the product."""
    product = product_or_404(object_id)
    variant_form = VariantForm()
    done = _post(product, variant_form, VariantFormSchema(), pricing.add_variant)
    return done or _page(product, PricingForm(formdata=None), variant_form, 422)
