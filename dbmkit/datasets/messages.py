"""E-mail and SMS events of a campaign's messages, for the synthetic client: the one simulation behind the past
campaigns of the generated world (``retailer``) and the results of a newly planned campaign (``simulate``).

Each message (sent to a treated contact; control members get nothing) bounces with a small probability, else is
delivered; an e-mail is opened with the person's engagement (at least 75 % for someone who responds to the
campaign, times ``open_boost``, e.g. a better subject line), once or more; an opened e-mail is clicked (60 % of
responders, 9 % of the others), an SMS link is clicked directly (50 % / 4 %); do-not-disturbs unsubscribe and
complain ten times as often as others; a few SMS get a reply.

>>> import numpy as np
>>> ev = message_events(np.random.default_rng(1), "email", np.zeros(4), np.array([True, False, False, False]),
...                     np.full(4, 0.3), np.zeros(4, bool))
>>> ev[ev["event"] == "sent"]["message"].tolist(), list(ev.columns)
([0, 1, 2, 3], ['message', 'event', 'day'])
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["message_events", "BOUNCE_RATE"]

BOUNCE_RATE = {"email": 0.015, "sms": 0.03}


def message_events(rng: np.random.Generator, channel: str, sent_at: np.ndarray, responded: np.ndarray,
                   engagement: np.ndarray, dnd: np.ndarray, open_boost=1.0) -> pd.DataFrame:
    """The events of ``len(sent_at)`` messages of one ``channel`` ("email" or "sms").

    ``sent_at``: send time of each message in days (any origin; zeros give the delays); ``responded``: whether
    the recipient responds to the campaign (buys because of it); ``engagement``: their e-mail open probability;
    ``dnd``: do-not-disturb (annoyed by contacts); ``open_boost``: multiplier of the open probability (a scalar
    or one per message).

    Returns one row per event — ``message`` (position of the message in the inputs), ``event`` (sent, bounced,
    delivered, opened, clicked, unsubscribed, complained, replied) and ``day`` (``sent_at`` + the delay) — grouped
    by event in that order. The random numbers are drawn in a fixed order, so a seeded ``rng`` gives the same
    events.
    """
    if channel not in BOUNCE_RATE:
        raise ValueError(f"message events are simulated for 'email' and 'sms', not {channel!r}")
    t = np.asarray(sent_at, dtype=float)
    m = len(t)
    responded = np.asarray(responded, dtype=bool)
    eng = np.asarray(engagement, dtype=float)
    dnd = np.asarray(dnd, dtype=bool)
    email = channel == "email"
    bounce = rng.random(m) < BOUNCE_RATE[channel]
    if email:
        p_open = np.where(responded, np.maximum(eng, 0.75), eng) * open_boost
        opened = ~bounce & (rng.random(m) < np.minimum(p_open, 0.98))
        clicked = opened & (rng.random(m) < np.where(responded, 0.6, 0.09))
    else:
        opened = np.zeros(m, bool)
        clicked = ~bounce & (rng.random(m) < np.where(responded, 0.5, 0.04))
    unsub = ~bounce & (rng.random(m) < np.where(dnd, 0.03, 0.0025))
    complain = ~bounce & (rng.random(m) < np.where(dnd, 0.004, 0.0004)) if email else np.zeros(m, bool)
    replied = (~bounce & (rng.random(m) < 0.012)) if not email else np.zeros(m, bool)

    pos = np.arange(m)
    rows = [pd.DataFrame({"message": pos, "event": "sent", "day": t}),
            pd.DataFrame({"message": pos[bounce], "event": "bounced", "day": t[bounce] + 0.001}),
            pd.DataFrame({"message": pos[~bounce], "event": "delivered", "day": t[~bounce] + 0.002})]
    if email:                                              # an opened e-mail is opened once or more
        n_opens = 1 + rng.poisson(0.6, opened.sum())
        rows.append(pd.DataFrame({"message": np.repeat(pos[opened], n_opens), "event": "opened",
                                  "day": np.repeat(t[opened], n_opens) + rng.exponential(0.6, n_opens.sum())}))
    for mask, event, scale, delay in ((clicked, "clicked", 0.7, 0.01), (unsub, "unsubscribed", 1.0, 0.02),
                                      (complain, "complained", 1.0, 0.02), (replied, "replied", 0.3, 0.02)):
        rows.append(pd.DataFrame({"message": pos[mask], "event": event,
                                  "day": t[mask] + rng.exponential(scale, mask.sum()) + delay}))
    return pd.concat(rows, ignore_index=True)
