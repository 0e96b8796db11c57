"""Package pins from the project's lock (``requirements/lock.txt``), the one source of versions, and the
service's package list (``requirements/serving.txt``: the Bento's and its image's, each pin checked
against the lock by the tests).

    pins()                                  -> {"torch": "torch==2.13.0", ...}   (requirements/serving.txt)
    locked_pins()                           -> {"torch": "torch==2.13.0", ...}   (the lock, no +cpu label)
    pip_requirements("torch", "pandas")     -> ["torch==2.13.0", "pandas==2.3.3"] (from the lock)
"""

from __future__ import annotations

from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from emotion_platform.settings import PROJECT_ROOT

SERVING_REQUIREMENTS = PROJECT_ROOT / "requirements" / "serving.txt"
LOCK = PROJECT_ROOT / "requirements" / "lock.txt"


def pins(path: Path = SERVING_REQUIREMENTS) -> dict[str, str]:
    """Each requirement line of ``path`` by its canonical package name (comments and blanks skipped)."""
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: the package lists live in the repository's requirements/ folder")
    lines = [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()]
    return {canonicalize_name(Requirement(line).name): line for line in lines if line}


def locked_pins(path: Path = LOCK) -> dict[str, str]:
    """The lock's exact pins by canonical name, without local version labels (``torch==2.13.0+cpu`` ->
    ``torch==2.13.0``): what another machine installs (on a GPU one, PyPI's CUDA build of torch)."""
    locked = {}
    for name, line in pins(path).items():
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        locked[name] = f"{requirement.name}=={Version(specifier.version).public}"
    return locked


def pip_requirements(*names: str, path: Path = LOCK) -> list[str]:
    """The locked pins of ``names`` (a KeyError names a package the lock does not hold)."""
    locked = locked_pins(path)
    return [locked[canonicalize_name(name)] for name in names]
