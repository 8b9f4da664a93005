"""HQ's pricing page of one product (``/admin/products/{id}/pricing``, issue 19).

How the product is priced (fixed, or by weight: metal, weight in grams, labour per gram
and per piece in yuan, purity, stocked by registered pieces), today's computed price,
and its sizes / lengths with their own weights and prices, with a form to add one.
Weights are typed in grams (up to three decimals) and kept in milligrams; money is typed
in yuan (``app.money``). The rules and their field errors are
``franchise.services.pricing``'s. Views never commit.
"""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.auth.decorators import page_roles
from app.auth.models import HQ_ROLES
from app.errors import DomainError
from app.web.form_input import YuanField
from franchise.admin.jewellery import METAL_LABELS
from franchise.api.orders import product_or_404
from franchise.forms import options
from franchise.services import pricing
from franchise.services.pricing import MAX_LABOUR_FEN_PER_GRAM, MAX_LABOUR_FEN_PER_PIECE

bp = Blueprint(
    "product_pricing_admin", __name__, url_prefix="/admin/products", template_folder="../templates"
)
GRAMS = re.compile(r"\d{1,4}(\.\d{1,3})?")
PRICING_LABELS = {"fixed": _l("Fixed price"), "by_weight": _l("By weight")}
KIND_LABELS = {
    "ring_size": _l("Ring size"),
    "chain_length": _l("Chain length"),
    "purity": _l("Purity"),
}


def grams_to_mg(text: str | None) -> int | None:
    """``"12.345"`` grams → 12345 mg; empty → None; anything else raises ValueError."""
    text = (text or "").strip()
    if not text:
        return None
    if not GRAMS.fullmatch(text):
        raise ValueError(text)
    whole, _dot, frac = text.partition(".")
    return int(whole) * 1000 + int((frac + "000")[:3])


class GramsField(StringField):
    """A weight box in grams whose ``data`` is milligrams."""

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        try:
            self.data = grams_to_mg(self.raw)
        except ValueError:
            self.data = None
            raise ValidationError(_("Grams, up to three decimals.")) from None

    def _value(self):
        if isinstance(self.data, int):
            return f"{self.data / 1000:.3f}"
        return getattr(self, "raw", "") or ""


class PricingForm(FlaskForm):
    pricing = SelectField(_l("Pricing"), choices=options(PRICING_LABELS.items()))
    metal = SelectField(
        _l("Metal"), choices=options([("", _l("None"))] + list(METAL_LABELS.items()))
    )
    weight_mg = GramsField(_l("Weight (g)"), validators=[Optional()])
    labour_gram_yuan = YuanField(
        _l("Labour per gram (yuan)"), validators=[InputRequired()], hi=MAX_LABOUR_FEN_PER_GRAM
    )
    labour_piece_yuan = YuanField(
        _l("Labour per piece (yuan)"), validators=[InputRequired()], hi=MAX_LABOUR_FEN_PER_PIECE
    )
    purity = StringField(_l("Purity"), validators=[Optional(), Length(max=16)])
    tracks_pieces = BooleanField(_l("Stocked by registered pieces"))


class VariantForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=options(KIND_LABELS.items()))
    label = StringField(_l("Size or length"), validators=[DataRequired(), Length(max=16)])
    weight_mg = GramsField(_l("Weight (g)"), validators=[Optional()])


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


def _show_errors(form, exc: DomainError, names: dict[str, str]) -> None:
    for name, messages in exc.errors.items():
        field = getattr(form, names.get(name, name), None)
        if field is not None:
            field.errors = list(field.errors) + list(messages)
    flash(exc.message, "error")


@bp.route("/<int:object_id>/pricing", methods=["GET", "POST"])
@page_roles(*HQ_ROLES)
def pricing_page(object_id):
    """The product's pricing and sizes; POST saves the pricing."""
    product = product_or_404(object_id)
    row = pricing.pricing_of(product.id)
    form = PricingForm(obj=row) if row and request.method == "GET" else PricingForm()
    if request.method == "GET":
        form.labour_gram_yuan.data = row.labour_fen_per_gram if row else 0
        form.labour_piece_yuan.data = row.labour_fen_per_piece if row else 0
        form.metal.data = (row.metal if row else "") or ""
    if form.validate_on_submit():
        data = {
            "pricing": form.pricing.data,
            "metal": form.metal.data or None,
            "weight_mg": form.weight_mg.data,
            "purity": (form.purity.data or "").strip(),
            "labour_fen_per_gram": form.labour_gram_yuan.data,
            "labour_fen_per_piece": form.labour_piece_yuan.data,
            "tracks_pieces": bool(form.tracks_pieces.data),
        }
        try:
            pricing.configure(product, data)
        except DomainError as exc:
            names = {"labour_fen_per_gram": "labour_gram_yuan"}
            _show_errors(form, exc, {**names, "labour_fen_per_piece": "labour_piece_yuan"})
            return _page(product, form, VariantForm(formdata=None), 422)
        flash(_("Saved."), "success")
        return redirect(url_for("product_pricing_admin.pricing_page", object_id=product.id))
    status = 422 if request.method == "POST" else 200
    return _page(product, form, VariantForm(formdata=None), status)


@bp.route("/<int:object_id>/variants", methods=["POST"])
@page_roles(*HQ_ROLES)
def add_variant(object_id):
    """Add a size or length to the product."""
    product = product_or_404(object_id)
    variant_form = VariantForm()
    if variant_form.validate_on_submit():
        data = {
            "kind": variant_form.kind.data,
            "label": variant_form.label.data.strip(),
            "weight_mg": variant_form.weight_mg.data,
        }
        try:
            pricing.add_variant(product, data)
        except DomainError as exc:
            _show_errors(variant_form, exc, {})
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("product_pricing_admin.pricing_page", object_id=product.id))
    return _page(product, PricingForm(formdata=None), variant_form, 422)
