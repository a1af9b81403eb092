"""A config setting of a plug-in's own."""

from __future__ import annotations

from pydantic import Field

from kdviz.config import register_field

NAME = "toy_rounds"

register_field(NAME, int, Field(0, ge=0, le=10, description="toy warm-up rounds (a plug-in's setting)"))
