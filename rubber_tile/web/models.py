"""What the configurator's API accepts: strict models (unknown fields refused), one per kind of request.

Only the shapes are checked here; the values (mix, seed, sizes, grade, framing, view) are checked by
the project's own `parse_mix` and `make_request`, as for every other caller.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..mix import MAX_PROMPT_CHARS
from ..request import SEED_MAX, input_default, input_names

__all__ = ["EstimateOrder", "Language", "LayoutQuery", "MixCheck", "PreviewQuery", "QuoteQuery", "RenderOrder"]

Language = Literal["ru", "en"]
PREVIEW_SIZE = 512
RENDER_SIZE = 1024


class StrictBody(BaseModel):
    """A JSON body: no unknown fields, no strings standing in for numbers."""

    model_config = ConfigDict(extra="forbid", strict=True)


class MixCheck(StrictBody):
    text: str = Field(max_length=MAX_PROMPT_CHARS, description="A typed mix, e.g. '50% красный, 50% белый'")
    language: Language | None = None  # the page's language; without it, the text's (Russian when Cyrillic)


class TileChoice(StrictBody):
    mix: str = Field(max_length=MAX_PROMPT_CHARS, description="The mix, e.g. '50% red, 30% black, 20% pearl'")
    seed: int = Field(ge=0, le=SEED_MAX, description="Granule layout; the same seed and mix give the same picture")
    grade: str = input_default("grade")
    framing: str = input_default("framing")
    view: str = input_default("view")
    language: Language | None = None  # the page's language; without it, the text's (Russian when Cyrillic)

    def request_inputs(self) -> dict[str, Any]:
        """The prediction inputs (TileRequest's names) this body sets; the mix is passed apart, as the prompt."""
        names = set(input_names()) - {"prompt"}
        return {name: value for name, value in self.model_dump().items() if name in names}


class PreviewQuery(TileChoice):
    """The query of GET /api/preview (query values arrive as text, so they are converted)."""

    model_config = ConfigDict(extra="forbid", strict=False)
    size: int = PREVIEW_SIZE
    format: Literal["jpg", "png"] = "jpg"

    def request_inputs(self) -> dict[str, Any]:
        return super().request_inputs() | {"width": self.size, "height": self.size, "output_format": self.format}


class LayoutQuery(BaseModel):
    """The query of GET /api/preview/layout: what a layout depends on (never the mix)."""

    model_config = ConfigDict(extra="forbid")
    seed: int = Field(ge=0, le=SEED_MAX)
    grade: str = input_default("grade")
    framing: str = input_default("framing")
    size: int = Field(default=PREVIEW_SIZE, ge=256, le=1024)
    language: Language | None = None


class QuoteQuery(BaseModel):
    """The query of GET /api/quote.pdf: the share link's fields (the estimate's numbers as typed)."""

    model_config = ConfigDict(extra="forbid")
    mix: str = Field(max_length=MAX_PROMPT_CHARS)
    seed: int = Field(ge=0, le=SEED_MAX)
    grade: str = input_default("grade")
    framing: str = input_default("framing")
    view: str = input_default("view")
    lang: Language = "ru"
    area: str = Field(default="10", max_length=40)
    thickness: str = Field(default="10", max_length=40)
    crumb: str = Field(default="", max_length=40)
    binder: str = Field(default="", max_length=40)


class RenderOrder(TileChoice):
    size: int = RENDER_SIZE

    def request_inputs(self) -> dict[str, Any]:
        return super().request_inputs() | {"width": self.size, "height": self.size, "output_format": "png"}


class EstimateOrder(StrictBody):
    """Numbers may come as the customer typed them (`"12,5"`): the estimate reads them (materials.read_number)."""

    mix: str = Field(max_length=MAX_PROMPT_CHARS)
    area_m2: float | str = Field(description="m2; a number or text such as '12,5'")
    thickness_mm: float | str = Field(description="mm; a number or text such as '12,5'")
    crumb_kg_per_m2: float | str | None = Field(
        default=None, description="kg of crumb per m2 per 10 mm; default the server's"
    )
    binder_percent: float | str | None = Field(
        default=None, description="binder, percent of the crumb mass; default the server's"
    )
    language: Language = "ru"
