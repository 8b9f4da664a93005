"""JSON API of WeCom's member directory (``/api/v1/wecom/members``), HQ only.

``GET /api/v1/wecom/members?q=&linked=no&for_guide=&page=&per_page=`` feeds the guide
form's picker: members by name and department, the linked guide's name beside each;
``POST /api/v1/wecom/members/sync`` reads the directory from WeCom now (502 with WeCom's
reason when WeCom refuses). The nightly job does the same at 02:30 Shanghai time.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth.decorators import api_roles
from app.auth.models import HQ_ROLES
from app.auth.scope import get_scoped_or_404
from app.schemas import page_of
from franchise.models import Guide
from franchise.services.wecom_members import members_stmt, sync_directory
from franchise.wecom_member_schemas import (
    WecomMemberPageSchema,
    WecomMemberQuerySchema,
    WecomSyncSchema,
)

blp = Blueprint(
    "wecom_members",
    __name__,
    url_prefix="/api/v1/wecom",
    description="WeCom's member directory: the picker guides are linked through (HQ).",
)

LINKED = {"yes": True, "no": False}


@blp.route("/members")
class Members(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.arguments(WecomMemberQuerySchema, location="query")
    @blp.response(200, WecomMemberPageSchema)
    @blp.alt_response(404, description="No such guide (for_guide)")
    def get(self, args):
        """Members WeCom lists, by name (``q`` searches name, department and userid)."""
        keep = (
            get_scoped_or_404(Guide, args["for_guide"]).wecom_userid
            if args.get("for_guide")
            else None
        )
        stmt = members_stmt(args.get("q"), linked=LINKED.get(args.get("linked", "")), keep=keep)
        return page_of(stmt, args)


@blp.route("/members/sync")
class MembersSync(MethodView):
    @api_roles(*HQ_ROLES)
    @blp.response(200, WecomSyncSchema)
    @blp.alt_response(502, description="WeCom refused the directory read (its code and reason)")
    def post(self):
        """Read WeCom's member directory now (as the nightly job does)."""
        return sync_directory()
