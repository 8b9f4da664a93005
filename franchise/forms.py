"""Flask-WTF forms (CSRF and rendering only) for the organisation admin pages.

The fields carry labels, help, choices and the required mark; they validate nothing. A
posted page is loaded through the API's own schema (``franchise.schemas``, by
``franchise.admin.support.save``), so a value is checked the same way from a page as
from the API; the services' field errors are shown on the form too. The select fields'
choices are filled by the views from scoped queries.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField

from app.web.form_input import RequiredMark

NUMBER = {"inputmode": "decimal"}


def options(pairs) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def _select(label, **kw) -> SelectField:
    """A select whose value the schema checks (WTForms does not refuse a choice)."""
    return SelectField(label, validate_choice=False, **kw)


class RegionForm(FlaskForm):
    code = StringField(_l("Code"), validators=[RequiredMark()])
    name = StringField(_l("Name"), validators=[RequiredMark()])
    cities = TextAreaField(_l("Cities"), description=_l("One city per line or comma separated."))
    default_franchisee_id = _select(_l("Default franchisee"))


class FranchiseeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[RequiredMark()])
    contact_name = StringField(_l("Contact"))
    phone = StringField(_l("Phone"))
    region_id = _select(_l("Region"))
    sub_mch_id = StringField(_l("WeChat Pay sub-merchant id"), validators=[RequiredMark()])
    profit_share_bps = StringField(
        _l("HQ share (basis points)"),
        default="0",
        description=_l("100 basis points = 1 %; at most 3000 (30 %)."),
        validators=[RequiredMark()],
        render_kw={"inputmode": "numeric"},
    )
    status = _select(
        _l("Status"), choices=options([("active", _l("Active")), ("suspended", _l("Suspended"))])
    )


class StoreForm(FlaskForm):
    franchisee_id = _select(_l("Franchisee"))
    region_id = _select(_l("Region"))
    code = StringField(_l("Code"), validators=[RequiredMark()])
    name = StringField(_l("Name"), validators=[RequiredMark()])
    city = StringField(_l("City"), validators=[RequiredMark()])
    address = StringField(_l("Address"))
    phone = StringField(_l("Phone"))
    business_hours = StringField(_l("Business hours"))
    latitude = StringField(_l("Latitude"), validators=[RequiredMark()], render_kw=NUMBER)
    longitude = StringField(_l("Longitude"), validators=[RequiredMark()], render_kw=NUMBER)
    customer_capacity = StringField(_l("Customer capacity"), render_kw={"inputmode": "numeric"})
    is_open = BooleanField(_l("Open"), default=True)


class OwnerStoreForm(FlaskForm):
    """What a franchise owner may change on their own store."""

    phone = StringField(_l("Phone"))
    business_hours = StringField(_l("Business hours"))


class GuideForm(FlaskForm):
    store_id = _select(_l("Store"))
    name = StringField(_l("Name"), validators=[RequiredMark()])
    phone = StringField(_l("Phone"))
    wecom_userid = _select(
        _l("WeCom member"),
        validators=[RequiredMark()],
        description=_l(
            "Chosen from WeCom's member list by name; members linked to another "
            "guide are not offered."
        ),
        render_kw={"data-search": _l("Search by name or department")},
    )
    status = _select(
        _l("Status"), choices=options([("active", _l("Active")), ("left", _l("Left"))])
    )
