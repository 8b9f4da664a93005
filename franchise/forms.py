"""Flask-WTF forms (with CSRF) for the organisation admin pages.

Forms only shape input; the rules (unique codes, references, open stores) live in
``franchise.services``, whose field errors the views copy back onto the form. The
select fields' choices are filled by the views from scoped queries.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FloatField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

CODE = Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$", message=_l("Letters, digits, - and _."))
PHONE = Regexp(r"^[0-9+\- ]{0,20}$", message=_l("Digits, +, - and spaces."))


def options(pairs) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def _int_or_none(value):
    """Coerce a select value to an int; the empty choice is ``None``."""
    if value in (None, "", "None"):
        return None
    return int(value)


class RegionForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=16), CODE])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    cities = TextAreaField(
        _l("Cities"),
        description=_l("One city per line or comma separated."),
        validators=[Length(max=4000)],
    )
    default_franchisee_id = SelectField(
        _l("Default franchisee"), coerce=_int_or_none, validate_choice=True
    )

    def city_list(self) -> list[str]:
        raw = (self.cities.data or "").replace("，", ",").replace("\n", ",")
        return [c.strip() for c in raw.split(",") if c.strip()]


class FranchiseeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    contact_name = StringField(_l("Contact"), validators=[Optional(), Length(max=32)])
    phone = StringField(_l("Phone"), validators=[Optional(), PHONE])
    region_id = SelectField(_l("Region"), coerce=int)
    sub_mch_id = StringField(
        _l("WeChat Pay sub-merchant id"),
        validators=[DataRequired(), Regexp(r"^\d{8,12}$", message=_l("8 to 12 digits."))],
    )
    profit_share_bps = IntegerField(
        _l("HQ share (basis points)"),
        default=0,
        description=_l("100 basis points = 1 %; at most 3000 (30 %)."),
        validators=[InputRequired(), NumberRange(min=0, max=3000)],
    )
    status = SelectField(
        _l("Status"), choices=options([("active", _l("Active")), ("suspended", _l("Suspended"))])
    )


class StoreForm(FlaskForm):
    franchisee_id = SelectField(_l("Franchisee"), coerce=int)
    region_id = SelectField(_l("Region"), coerce=int)
    code = StringField(_l("Code"), validators=[DataRequired(), CODE])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=32)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=255)])
    phone = StringField(_l("Phone"), validators=[Optional(), PHONE])
    business_hours = StringField(_l("Business hours"), validators=[Optional(), Length(max=64)])
    latitude = FloatField(_l("Latitude"), validators=[InputRequired(), NumberRange(-90, 90)])
    longitude = FloatField(_l("Longitude"), validators=[InputRequired(), NumberRange(-180, 180)])
    customer_capacity = IntegerField(
        _l("Customer capacity"), validators=[Optional(), NumberRange(0, 10**7)]
    )
    is_open = BooleanField(_l("Open"), default=True)


class OwnerStoreForm(FlaskForm):
    """What a franchise owner may change on their own store."""

    phone = StringField(_l("Phone"), validators=[Optional(), PHONE])
    business_hours = StringField(_l("Business hours"), validators=[Optional(), Length(max=64)])


class GuideForm(FlaskForm):
    store_id = SelectField(_l("Store"), coerce=int)
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=32)])
    phone = StringField(_l("Phone"), validators=[Optional(), PHONE])
    wecom_userid = StringField(
        _l("WeCom account (as in the WeCom admin)"),
        validators=[
            DataRequired(),
            Regexp(r"^[A-Za-z0-9_.@-]{1,64}$", message=_l("Letters, digits, _ . @ -.")),
        ],
    )
    status = SelectField(
        _l("Status"), choices=options([("active", _l("Active")), ("left", _l("Left"))])
    )
