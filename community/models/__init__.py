"""The community domain's tables, one module per area:

- ``groups``: WeCom customer groups, members, stage history, daily metrics, sync runs;
- ``content``: the content library and push plans (SOP);
- ``delivery``: daily slot allocations, send batches (add_msg_template tasks), per-group
  delivery results, care tasks;
- ``contacts``: WeCom external contacts, each guide's follow of them, 联系我 codes,
  per-guide contact sync runs;
- ``growth``: fission invite codes, joins and rewards; benchmark templates and cohorts;
- ``wecom_customers``: customer tags (WeCom corp tags) and hand-overs through WeCom.
- ``journeys``: customer journeys (1:1 sends), their enrolments and sends, customer dates;
- ``chat_statistics``: WeCom's daily group-chat figures per group owner (the read-back).
"""

from community.models.chat_statistics import *  # noqa: F403
from community.models.contacts import *  # noqa: F403
from community.models.content import *  # noqa: F403
from community.models.delivery import *  # noqa: F403
from community.models.groups import *  # noqa: F403
from community.models.growth import *  # noqa: F403
from community.models.journeys import *  # noqa: F403
from community.models.wecom_customers import *  # noqa: F403
