"""environment.yml (conda) and pyproject.toml list the same dependencies."""

import re
import tomllib

import yaml

from guozi_analysis.base import config


def _name_spec(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject():
    pyproject = tomllib.loads((config.PROJECT_ROOT / "pyproject.toml").read_text("utf-8"))
    project = pyproject["project"]
    wanted = [*project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        wanted += extra
    wanted = dict(_name_spec(r) for r in wanted)

    env = yaml.safe_load((config.PROJECT_ROOT / "environment.yml").read_text("utf-8"))
    listed = {}
    for dep in env["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            if item.startswith("-e"):
                continue
            name, spec = _name_spec(item)
            listed[name] = spec
    extras_only_in_conda = {"python", "pip", "quarto"}
    assert {k: v for k, v in listed.items() if k not in extras_only_in_conda} == wanted
    assert "quarto" in listed
