"""Fields that re-expose another pydantic model's field: one default and description for both.

class StorageResource(dg.ConfigurableResource):
    max_bytes: int = same_as(MediaLimits, "max_bytes")
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


def same_as(model: type[BaseModel], name: str) -> Any:
    """A ``Field`` with the default (or default factory) and description ``model`` declares for ``name``."""
    declared = model.model_fields[name]
    if declared.default_factory is not None:
        return Field(default_factory=declared.default_factory, description=declared.description)
    return Field(declared.default, description=declared.description)
