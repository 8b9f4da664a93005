"""Scheduled work of the live area: WeCom living creation and read-back (registered, with
the live area's outbox handler and order hooks, in ``livestream.wiring.live``).

``livestream.enqueue_livings`` runs every 10 minutes and ``livestream.watch_stats`` every
5 minutes; both are idempotent.
"""

from __future__ import annotations


def enqueue_livings_job() -> int:
    """Queue ``living/create`` for store sessions that have none yet."""
    from livestream.services import living

    return living.enqueue_livings()


def watch_stats_job() -> dict:
    """Read the viewers of running (or just ended) WeCom lives."""
    from livestream.services import living

    return living.read_watch_stats()


def live_rewards_job() -> None:
    """Post ended campaigns' store rewards and penalties as guides' commission (daily)."""
    from livestream.services.live_credit import post_ended_campaigns

    post_ended_campaigns()
