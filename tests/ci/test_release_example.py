"""examples/github/release.yml and the one placeholder of where reconcile is published.

The release workflow cannot run here (it publishes); its structure is held to what the issue
asks (sdist and wheel, twine check, the image built and run, trusted publishing, an image
registry, every action pinned by a full version tag), and its one shell step with logic, the
tag-is-the-version check, is run for real. Every example names reconcile's repository as
``your-org/reconcile`` and pins the version pyproject.toml declares.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from ci_support import REPO, base_env

RELEASE = REPO / "examples" / "github" / "release.yml"
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
PLACEHOLDER = "your-org/reconcile"
FULL_VERSION = re.compile(r"[\w.-]+/[\w.-]+@v\d+\.\d+\.\d+")
# Every file a user copies that names where reconcile is published.
NAMING_FILES = [
    REPO / "examples" / "github" / "plan.yml",
    REPO / "examples" / "github" / "apply.yml",
    REPO / "examples" / "github" / "README.md",
    REPO / "examples" / "gitlab" / ".gitlab-ci.yml",
    REPO / ".pre-commit-hooks.yaml",
]


@pytest.fixture(scope="module")
def release() -> dict[str, Any]:
    data = yaml.safe_load(RELEASE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def steps(release: dict[str, Any], job: str) -> list[dict[str, Any]]:
    return list(release["jobs"][job]["steps"])


def uses(release: dict[str, Any], job: str) -> list[str]:
    return [step["uses"] for step in steps(release, job) if "uses" in step]


def test_release_runs_on_version_tags_only(release: dict[str, Any]) -> None:
    on = release.get("on", release.get(True))
    assert on == {"push": {"tags": ["v*.*.*"]}}
    assert release["permissions"] == {"contents": "read"}


def test_every_action_is_pinned_by_its_full_version(release: dict[str, Any]) -> None:
    every = [use for job in release["jobs"] for use in uses(release, job)]
    assert len(every) >= 8
    for use in every:
        assert FULL_VERSION.fullmatch(use), use


def test_dist_builds_checks_and_runs_the_wheel_outside_the_checkout(
    release: dict[str, Any],
) -> None:
    scripts = "\n".join(step.get("run", "") for step in steps(release, "dist"))
    assert "python -m build\n" in scripts
    assert "python -m twine check --strict dist/*" in scripts
    smoke = next(
        s for s in steps(release, "dist") if s.get("name", "").startswith("The wheel runs")
    )
    assert smoke["working-directory"] == "${{ runner.temp }}"
    assert '"$GITHUB_WORKSPACE"/dist/*.whl' in smoke["run"]
    assert "try/bin/reconcile --version" in smoke["run"]
    upload = next(s for s in steps(release, "dist") if "upload-artifact" in s.get("uses", ""))
    assert upload["with"] == {"name": "dist", "path": "dist/", "if-no-files-found": "error"}


def test_the_image_is_built_run_then_pushed_to_the_container_registry(
    release: dict[str, Any],
) -> None:
    job = release["jobs"]["image"]
    assert job["permissions"]["packages"] == "write"
    builds = [s for s in job["steps"] if s.get("uses", "").startswith("docker/build-push-action@")]
    local, pushed = builds
    assert local["with"]["load"] is True and "push" not in local["with"]
    assert pushed["with"]["push"] is True
    assert pushed["with"]["tags"] == "${{ steps.meta.outputs.tags }}"
    names = [s.get("name", s.get("uses", "")) for s in job["steps"]]
    assert names.index("The image runs") < names.index("Push the image")
    assert (
        "docker run --rm reconcile:release-test --version"
        in job["steps"][names.index("The image runs")]["run"]
    )
    meta = next(s for s in job["steps"] if s.get("id") == "meta")
    assert meta["with"]["images"] == "ghcr.io/${{ github.repository }}"
    login = next(s for s in job["steps"] if s.get("uses", "").startswith("docker/login-action@"))
    assert login["with"]["registry"] == "ghcr.io"
    assert login["with"]["password"] == "${{ secrets.GITHUB_TOKEN }}"


def test_pypi_is_published_by_trusted_publishing_after_both_builds(
    release: dict[str, Any],
) -> None:
    job = release["jobs"]["pypi"]
    assert job["needs"] == ["dist", "image"]
    assert job["environment"] == "pypi"
    assert job["permissions"] == {"id-token": "write"}
    assert uses(release, "pypi")[-1].startswith("pypa/gh-action-pypi-publish@v1.")
    publish = steps(release, "pypi")[-1]
    assert "with" not in publish  # no password: the token comes from the run's identity
    assert "secrets." not in RELEASE.read_text(encoding="utf-8").replace("secrets.GITHUB_TOKEN", "")


@pytest.mark.parametrize(("tag", "code"), [(f"v{VERSION}", 0), ("v999.0.0", 1), (VERSION, 1)])
def test_the_tag_must_be_the_pyproject_version(
    release: dict[str, Any], tag: str, code: int
) -> None:
    check = next(
        s for s in steps(release, "dist") if s.get("name") == "The tag is the package version"
    )
    assert check["env"] == {"TAG": "${{ github.ref_name }}"}
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", check["run"]],
        cwd=REPO,
        env={**base_env(), "TAG": tag},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == code, result.stdout + result.stderr
    if code:
        assert f"::error::tag {tag} is not v{VERSION}" in result.stdout


def test_every_example_names_reconcile_as_your_org_at_the_released_version() -> None:
    for path in NAMING_FILES:
        text = path.read_text(encoding="utf-8")
        assert "OWNER" not in text, path
        assert PLACEHOLDER in text, path
        for reference in re.findall(r"[\w.-]+/reconcile@[\w.-]+", text):
            assert reference == f"{PLACEHOLDER}@v{VERSION}", (path, reference)
    gitlab = (REPO / "examples" / "gitlab" / ".gitlab-ci.yml").read_text(encoding="utf-8")
    archive = yaml.safe_load(gitlab)["variables"]["RECONCILE_ARCHIVE"]
    assert archive.endswith(f"/{PLACEHOLDER}/archive/refs/tags/v{VERSION}.tar.gz")
    hooks = (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert re.search(rf"rev: v{re.escape(VERSION)}\b", hooks)


def test_the_released_version_is_the_installed_version() -> None:
    """`reconcile --version` reads the package metadata: pyproject.toml's version."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "reconcile"), "--version"],
        env=base_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"reconcile, version {VERSION}\n"
