"""The error of every mix a customer has to fix."""

from __future__ import annotations

from ..errors import InputError


class MixError(InputError):
    """A colour mix the customer has to fix; the message says how."""
