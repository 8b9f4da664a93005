"""The community domain's tables, one module per area:

- ``groups``: WeCom customer groups, members, stage history, daily metrics, sync runs;
- ``content``: the content library, push plans (SOP), care rules and care tasks;
- ``delivery``: daily slot allocations, send batches (add_msg_template tasks), per-group
  delivery results;
- ``growth``: benchmark templates and cohorts, fission invite codes, joins and rewards.
"""

from community.models.groups import *  # noqa: F403
