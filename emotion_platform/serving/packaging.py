"""The service's package list (``requirements/serving.txt``): one source for the Bento, its image and
the MLflow model's pip requirements.

    pins()                                  -> {"torch": "torch==2.13.0", ...}
    pip_requirements("torch", "pandas")     -> ["torch==2.13.0", "pandas==2.3.3"]
"""

from __future__ import annotations

from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from emotion_platform.settings import PROJECT_ROOT

SERVING_REQUIREMENTS = PROJECT_ROOT / "requirements" / "serving.txt"


def pins(path: Path = SERVING_REQUIREMENTS) -> dict[str, str]:
    """Each requirement line of ``path`` by its canonical package name (comments and blanks skipped)."""
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found: the service's package list lives in the repository (requirements/serving.txt)"
        )
    lines = [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()]
    return {canonicalize_name(Requirement(line).name): line for line in lines if line}


def pip_requirements(*names: str, path: Path = SERVING_REQUIREMENTS) -> list[str]:
    """The pinned lines of ``names`` (a KeyError names a package the list does not declare)."""
    declared = pins(path)
    return [declared[canonicalize_name(name)] for name in names]
