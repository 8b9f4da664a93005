"""Consignment JSON API (寄售, issue 19; ``franchise.services.consignment``).

* ``GET/POST /api/v1/consignments`` (staff through the tenant scope; the store takes a
  piece in), ``POST /api/v1/consignments/{id}/move`` ``{"to", …}`` (one step: appraised
  with ``appraised_fen``, agreed with ``agreed_price_fen`` and ``commission_bps``, listed,
  sold, paid_out, returned; out of order → 422 naming ``to``).
* ``GET /api/v1/mp/consignments``: the consignor's own.

Views call services and never commit.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth.decorators import api_roles
from app.auth.models import CUSTOMER, FRANCHISE_OWNER, GUIDE, HQ_ROLES
from app.auth.principal import required_principal
from app.auth.scope import get_scoped_or_404, scoped
from app.schemas import page_of
from franchise.api.orders import STAFF
from franchise.models import Consignment
from franchise.schemas_consignment import (
    ConsignmentCreateSchema,
    ConsignmentMoveSchema,
    ConsignmentPageSchema,
    ConsignmentQuerySchema,
    ConsignmentSchema,
)
from franchise.services import consignment, order_flow

blp = Blueprint("consignment_api", __name__, url_prefix="/api/v1", description="Consignment (寄售)")
WRITERS = (*HQ_ROLES, FRANCHISE_OWNER, GUIDE)


def _scope():
    return order_flow.store_principal(required_principal())


@blp.route("/consignments")
class Consignments(MethodView):
    @api_roles(*STAFF)
    @blp.arguments(ConsignmentQuerySchema, location="query")
    @blp.response(200, ConsignmentPageSchema)
    def get(self, args):
        """Consignments the caller may see, newest first."""
        return page_of(scoped(consignment.consignment_stmt(args), Consignment, _scope()), args)

    @api_roles(*WRITERS)
    @blp.arguments(ConsignmentCreateSchema)
    @blp.response(201, ConsignmentSchema)
    def post(self, body):
        """Take a piece in on consignment."""
        return consignment.take_in(body, required_principal())


@blp.route("/consignments/<int:consignment_id>/move")
class ConsignmentMove(MethodView):
    @api_roles(*WRITERS)
    @blp.arguments(ConsignmentMoveSchema)
    @blp.response(200, ConsignmentSchema)
    def post(self, body, consignment_id):
        """One step: appraise, agree the price, list, mark sold, pay out, or return."""
        row = get_scoped_or_404(Consignment, consignment_id, _scope())
        return consignment.move(row, body["to"], required_principal(), body)


@blp.route("/mp/consignments")
class MyConsignments(MethodView):
    @api_roles(CUSTOMER)
    @blp.arguments(ConsignmentQuerySchema, location="query")
    @blp.response(200, ConsignmentPageSchema)
    def get(self, args):
        """My consigned pieces, their agreed price and what I was paid."""
        return page_of(scoped(consignment.consignment_stmt(args), Consignment), args)
