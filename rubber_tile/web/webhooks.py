"""Telling real webhooks from forged or replayed ones.

Replicate signs per Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`
(HMAC-SHA256 of `id.timestamp.body` with the account's `whsec_` secret). The `standardwebhooks`
library checks the signature and refuses timestamps more than 5 minutes off; on top of that each
`webhook-id` is taken once (a replay inside the window is refused too). The local Cog server does not
sign, so its webhooks are checked against the order's own token in the URL, in constant time
(routes_renders.cog_webhook), before their body is read.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from .errors import ApiError

__all__ = ["ReplicateVerifier"]

REPLAY_WINDOW_S = 10 * 60  # the library accepts 5 minutes either way: remember ids at least that long


class ReplicateVerifier:
    """Checks deliveries against the signing secret; remembers the ids it has accepted."""

    def __init__(self, secret: str, clock=time.monotonic) -> None:
        self._webhook = Webhook(secret)
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._clock = clock

    def verify(self, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        """The parsed payload; ApiError 401 for a missing, bad or stale signature, 409 for a replay.
        The delivery counts as received only once `remember` is called (after it was applied), so a
        delivery that came too early (before its render was known) can be retried."""
        try:
            payload = self._webhook.verify(body, dict(headers))
        except (WebhookVerificationError, ValueError) as error:
            # ValueError: a malformed signature header or body (bad base64, no comma, not UTF-8 or JSON).
            raise ApiError(401, "webhook_unverified", f"webhook refused: {error}") from None
        if not isinstance(payload, dict):
            raise ApiError(400, "webhook_malformed", "webhook body must be a JSON object")
        self._refuse_replay(headers.get("webhook-id", ""))
        return payload

    def remember(self, headers: Mapping[str, str]) -> None:
        """This delivery was applied: the same webhook-id within the window is a replay from now on."""
        self._seen[headers.get("webhook-id", "")] = self._clock()

    def _refuse_replay(self, message_id: str) -> None:
        now = self._clock()
        while self._seen and next(iter(self._seen.values())) < now - REPLAY_WINDOW_S:
            self._seen.popitem(last=False)
        if message_id in self._seen:
            raise ApiError(409, "webhook_replayed", f"webhook {message_id} was already received")

