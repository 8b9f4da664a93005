"""Page forms load through the API's marshmallow schemas: one input path.

A page posts a ``MultiDict`` of strings; the API takes JSON. ``form_values(schema, form)``
turns the first into the second by the schema's own fields, so the schema that guards the
API also guards the page, with nothing parsed by hand:

* a ``List`` field takes every value of its key (``getlist``), each split on commas and
  whitespace (a text box of ids or dates, or a group of checkboxes);
* an ``Integer`` takes digit text (``1,200`` too) as an int, a ``Float`` decimal text
  (``31.2``) as a number (anything else is left as text, for the field to refuse with its
  own message); a ``Yuan`` takes the text as typed;
* a box named in ``checkboxes`` and not sent (an unticked checkbox) is ``False``;
* an empty box is ``None`` where the field allows ``None`` and absent otherwise (the
  field's default then applies, or "Missing data for required field."), except text
  fields, which keep ``""`` for their own length checks;
* keys the schema does not load (``csrf_token``, buttons) are left out.

``load_form(schema, form)`` loads those values and raises ``FormInvalid`` (a 422
``DomainError``) whose ``errors`` map each field (nested ones as ``lineup.0.product_id``)
to its messages in the viewer's language, ready for the template's ``data-error-for``;
``put_errors(form, exc)`` puts them (or a service's) under a WTForms form's fields.

Forms still rendered by WTForms validate nothing themselves: ``RequiredMark`` only marks
a field required for the label. ``YuanField`` is for those forms: a yuan box shown as
typed (or a stored fen amount as yuan); the page's schema (``app.money.Yuan``) loads it.
"""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields
from wtforms import StringField
from wtforms.validators import ValidationError as WTFormsValueError
from wtforms.widgets import NumberInput

from app.errors import DomainError
from app.money import MAX_FEN, YuanError, format_yuan, parse_yuan
from app.validation_messages import flat_errors

SEPARATORS = re.compile(r"[\s,，]+")
# digits, or digits grouped by thousands ("1,200"); longer runs are refused by the field
INTEGER = re.compile(r"[+-]?(?:\d{1,30}|\d{1,3}(?:,\d{3}){1,9})")
DECIMAL = re.compile(r"[+-]?\d{1,20}(?:\.\d{1,20})?")
OMIT = object()


class FormInvalid(DomainError):
    """A page form failed its schema; ``errors`` is ``{field: [message, ...]}``."""

    status = 422
    code = "validation_error"


def _scalar(field: fields.Field, text: str):
    """One form string as the JSON value ``field`` loads (``OMIT``: leave the key out)."""
    if isinstance(field, fields.String):
        return None if text == "" and field.allow_none else text
    text = text.strip()
    if text == "":
        return None if field.allow_none else OMIT
    if isinstance(field, fields.Integer) and INTEGER.fullmatch(text):
        return int(text.replace(",", ""))
    if isinstance(field, fields.Float) and DECIMAL.fullmatch(text):
        return float(text)
    return text


def form_values(schema: Schema, form, checkboxes=()) -> dict:
    """The JSON-shaped input ``schema`` loads, from a page's ``form`` (a ``MultiDict``);
    a box named in ``checkboxes`` that the browser did not send (unticked) is ``False``."""
    out: dict = {}
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        if key not in form:
            if key in checkboxes:
                out[key] = False
            continue
        if isinstance(field, fields.List):
            items = [p for raw in form.getlist(key) for p in SEPARATORS.split(raw) if p]
            values = [_scalar(field.inner, item) for item in items]
            out[key] = [v for v in values if v is not OMIT and v is not None]
            continue
        value = _scalar(field, form.get(key, ""))
        if value is not OMIT:
            out[key] = value
    return out


def load_form(schema: Schema, form, checkboxes=()) -> dict:
    """``schema.load(form_values(schema, form, checkboxes))``; raises ``FormInvalid`` per
    field."""
    try:
        return schema.load(form_values(schema, form, checkboxes))
    except ValidationError as exc:
        errors = flat_errors(exc.messages)
        raise FormInvalid(next(iter(errors.values()))[0], errors=errors) from exc


def put_errors(form, exc: DomainError, schema: Schema | None = None) -> bool:
    """Put a schema's or a service's field errors (``exc.errors``) on the WTForms form's
    fields of the same name; with ``schema``, a service's error on an attribute the form
    types under another key (``price_fen`` typed as ``price_yuan``) goes to that box.
    ``True`` when at least one found its field."""
    keys = {n: f.data_key for n, f in schema.load_fields.items() if f.data_key} if schema else {}
    placed = False
    for name, messages in (exc.errors or {}).items():
        field = getattr(form, keys.get(name, name), None)
        if field is not None and hasattr(field, "errors") and isinstance(messages, list):
            field.errors = list(field.errors or []) + list(messages)
            placed = True
    return placed


class RequiredMark:
    """A WTForms "validator" that only marks a field required for rendering (the label's
    mark): the page's schema, not WTForms, refuses a missing value."""

    field_flags = {"required": True}

    def __call__(self, form, field) -> None:
        return None


class YuanField(StringField):
    """A Flask-WTF form's yuan box (rendered like a number input) whose ``data`` is fen,
    read by ``app.money.parse_yuan`` within ``lo..hi`` fen: the pages that still render a
    WTForms form parse money the one way too."""

    widget = NumberInput(step="any")

    def __init__(self, label=None, validators=None, *, lo: int = 0, hi: int = MAX_FEN, **kw):
        super().__init__(label, validators, **kw)
        self.lo, self.hi = lo, hi

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and str(valuelist[0]).strip():
            try:
                self.data = parse_yuan(valuelist[0], self.lo, self.hi)
            except YuanError as exc:
                raise WTFormsValueError(exc.translated()) from exc

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format_yuan(self.data)
