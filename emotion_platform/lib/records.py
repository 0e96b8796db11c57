"""Records that assets hand each other, each stored as one file and read back as the same type.

A stored record has ``save(dest, stage)`` (written atomically, :mod:`emotion_platform.lib.atomic`)
and a ``load(path)`` class method. :class:`JsonRecord` gives a pydantic model both, as one JSON file;
:class:`~emotion_platform.lib.features.MediaFeatures` keeps its arrays in an ``.npz`` file.
The record IO manager (:mod:`emotion_platform.resources.record_io`) stores any of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, Self

from pydantic import BaseModel

from emotion_platform.lib import atomic


class StoredRecord(Protocol):
    """What the record IO manager needs of a value: save it to a file, load it from one."""

    def save(self, dest: Path, stage: str | None = None) -> Path: ...

    @classmethod
    def load(cls, path: Path) -> Self: ...


class JsonRecord(BaseModel):
    """A pydantic record stored as one JSON file."""

    def save(self, dest: Path, stage: str | None = None) -> Path:
        """Write the record to ``dest`` atomically (``stage``: the fault-injection point)."""
        return atomic.write_text(Path(dest), self.model_dump_json(indent=1) + "\n", stage=stage)

    @classmethod
    def load(cls, path: Path) -> Self:
        return cls.model_validate_json(Path(path).read_text())
