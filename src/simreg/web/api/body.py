"""The base of every JSON request body the API reads."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Body(BaseModel):
    """A field the API does not know is refused (422 INVALID_INPUT, naming the field), never
    dropped: a filter sent at the wrong level must not silently widen what a request acts on,
    such as the lines a campaign sends its SMS to."""

    model_config = ConfigDict(extra="forbid")
