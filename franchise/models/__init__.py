"""The franchise domain's tables, one module per area:

- ``org``: regions, franchisees, stores, guides;
- ``customers``: mini-program customers, assignment history, share codes, settings,
  appointments;
- ``commerce``: products, coupons, orders and their lines and events;
- ``jewellery``: metal prices, by-weight pricing, variants, line price snapshots and
  the piece registry (issue 19);
- ``aftersales``: fulfilment, appointment outcomes, service tickets, trade-ins (issue 19);
- ``ledger``: payments, refunds, profit shares, the double-entry ledger, statements,
  reconciliation and alerts;
- ``bills``: WeChat Pay's trade and fund-flow bill lines kept for reconciliation.
- ``members``: members, levels, the points book, point items;
- ``member_events``: member events and their invitations;
- ``wecom_members``: WeCom's member directory (departments, members) guides link to.
"""

from franchise.models.aftersales import *  # noqa: F403 - issue 19
from franchise.models.bills import *  # noqa: F403
from franchise.models.commerce import *  # noqa: F403
from franchise.models.credit import *  # noqa: F403 - credit, disputes, commission (issue 18)
from franchise.models.customers import *  # noqa: F403
from franchise.models.jewellery import *  # noqa: F403 - issue 19
from franchise.models.ledger import *  # noqa: F403
from franchise.models.member_events import *  # noqa: F403 - event invitations
from franchise.models.members import *  # noqa: F403
from franchise.models.org import *  # noqa: F403
from franchise.models.org import (  # noqa: F401 - the names most code imports
    ACTIVE,
    FRANCHISEE_STATUSES,
    GUIDE_STATUSES,
    LEFT,
    MAX_PROFIT_SHARE_BPS,
    SUSPENDED,
    Franchisee,
    Guide,
    Region,
    RegionCity,
    Store,
    open_store_clause,
)
from franchise.models.wecom_members import *  # noqa: F403 - WeCom's member directory
