"""Requests below the public bounds (64 px, 2 steps), which only the tiny model can afford.

make_request refuses them, so tests build TileRequest directly, reading the mix as make_request does.
"""

from __future__ import annotations

from rubber_tile.prompt import DEFAULT_NEGATIVE_PROMPT
from rubber_tile.request import TileRequest, read_prompt_mix


def tiny_request(prompt: str, **fields: object) -> TileRequest:
    mix, full_prompt, mix_unread = read_prompt_mix(prompt)
    defaults: dict[str, object] = dict(negative_prompt=DEFAULT_NEGATIVE_PROMPT, seed=1, width=64, height=64)
    return TileRequest(prompt=prompt, mix=mix, full_prompt=full_prompt, mix_unread=mix_unread, **(defaults | fields))
