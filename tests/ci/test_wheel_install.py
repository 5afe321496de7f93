"""The released artifacts work alone: build the sdist and the wheel (from the sdist, as
``python -m build`` does), ``twine check`` them, install the wheel into a fresh virtualenv, and
run ``reconcile --version``, ``validate``, ``sandbox``, ``plan`` and ``show`` from a temporary
directory, with no checkout on ``sys.path``. A file the package needs at run time but does not
ship (the plan schema, the sandbox seeds, JSON data) fails here, not on a user's machine.

Offline: ``build --no-isolation`` uses this virtualenv's setuptools (dev extras), the wheel is
installed with ``--no-index --no-deps``, and the third-party dependencies come from this
virtualenv's site-packages through a ``.pth`` line (a path line: the editable install's own
``.pth`` there is not run, so the checkout stays off ``sys.path``, which the test asserts).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import sysconfig
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from ci_support import EXAMPLE, REPO, base_env
from polling import wait_for

BIN = Path(sys.executable).parent
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
NOT_SOURCE = (".git", ".venv", "*.egg-info", "build", "dist", "__pycache__", ".*_cache", "mutants")
READY_TIMEOUT_S = 120.0  # generous: the sandbox starts in about a second on an idle machine
STOP_TIMEOUT_S = 60.0

pytestmark = pytest.mark.slow


class Installed:
    """The wheel installed alone in a fresh virtualenv, and a directory to run it in."""

    def __init__(self, root: Path, venv: Path, dist: Path) -> None:
        self.root = root
        self.venv = venv
        self.dist = dist
        self.work = root / "work"
        self.work.mkdir()
        self.env = {k: v for k, v in base_env().items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    @property
    def reconcile(self) -> str:
        return str(self.venv / "bin" / "reconcile")

    def run(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.reconcile, *args],
            cwd=self.work,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            check=False,
        )


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{argv}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"  # a clean checkout's files: the build writes nothing into REPO
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    dist = root / "dist"
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), "."], source)
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], root)
    wheels = sorted(dist.glob("*.whl"))
    assert [w.name for w in wheels] == [f"reconcile-{VERSION}-py3-none-any.whl"]
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check"]
    _run([*pip, "install", "--quiet", "--no-index", "--no-deps", str(wheels[0])], root)
    # Third-party dependencies from this virtualenv (a plain path line: no .pth there runs).
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site / "_reconcile_test_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    return Installed(root, venv, dist)


def test_the_sdist_and_the_wheel_pass_twine_check(installed: Installed) -> None:
    artifacts = sorted(p.name for p in installed.dist.iterdir())
    assert artifacts == [f"reconcile-{VERSION}-py3-none-any.whl", f"reconcile-{VERSION}.tar.gz"]
    result = _run(
        [str(BIN / "twine"), "check", "--strict", *map(str, installed.dist.iterdir())],
        installed.root,
    )
    assert result.stdout.count("PASSED") == 2, result.stdout


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: Installed) -> None:
    probe = (
        "import json, sys, reconciler, reconciler.cli; "
        "print(json.dumps({'file': reconciler.__file__, 'path': sys.path, "
        "'version': reconciler.__version__}))"
    )
    result = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c", probe],
        cwd=installed.work,
        env=installed.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert Path(seen["file"]).is_relative_to(installed.venv), seen["file"]
    checkout = REPO.resolve()
    on_path = [p for p in seen["path"] if p and Path(p).resolve().is_relative_to(checkout)]
    venv_inside_checkout = [p for p in on_path if ".venv" in Path(p).parts]  # dependencies only
    assert on_path == venv_inside_checkout, on_path
    assert seen["version"] == VERSION


def test_version_validate_and_schema_from_the_wheel(installed: Installed) -> None:
    version = installed.run("--version")
    assert (version.returncode, version.stdout) == (0, f"reconcile, version {VERSION}\n")
    shutil.copy(EXAMPLE, installed.work / "mappings.yaml")
    secret = {"SALESBUILDR_WEBHOOK_SECRET": "set-by-the-test"}  # the example references it
    valid = installed.run("validate", "mappings.yaml", env=secret)
    assert valid.returncode == 0, valid.stderr
    assert valid.stdout.startswith("mappings.yaml: valid, 9 section(s) managed")
    schema = installed.run("schema")
    assert schema.returncode == 0, schema.stderr
    committed = (REPO / "schemas" / "mappings.schema.json").read_text(encoding="utf-8")
    assert schema.stdout == committed


@pytest.fixture
def sandbox(installed: Installed) -> Iterator[dict[str, str]]:
    """`reconcile sandbox` of the wheel, as a user starts it; its export lines as a dict."""
    out = installed.root / "sandbox.out"
    with out.open("w") as stdout:
        process = subprocess.Popen(
            [installed.reconcile, "sandbox", "--seed", "empty"],
            cwd=installed.work,
            env=installed.env,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        wait_for(
            lambda: "sandbox ready" in out.read_text() or process.poll() is not None,
            timeout=READY_TIMEOUT_S,
            what="'sandbox ready' from the installed wheel's sandbox",
        )
        assert process.poll() is None, process.communicate()[1]
        env = {}
        for line in out.read_text().splitlines():
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").partition("=")
                env[name] = shlex.split(value)[0]
        yield env
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=STOP_TIMEOUT_S)
    assert process.returncode == 0, stderr
    assert "sandbox stopped" in stderr


def test_sandbox_plan_and_show_from_the_wheel(
    installed: Installed, sandbox: dict[str, str]
) -> None:
    assert {"AUTOTASK_API_URL", "SALESBUILDR_API_URL", "SALESBUILDR_API_KEY"} <= set(sandbox)
    shutil.copy(EXAMPLE, installed.work / "mappings.yaml")
    plan = installed.run(
        "plan", "mappings.yaml", "--out", "plan.json", "--detailed-exitcode", env=sandbox
    )
    assert plan.returncode == 2, plan.stderr  # safe changes: the empty tenant gets the settings
    assert "to create" in plan.stdout
    # show reads the plan schema the package ships (reconciler/data/plan.schema.json)
    shown = installed.run("show", "plan.json", "--format", "markdown", env={})
    assert shown.returncode == 0, shown.stderr
    assert shown.stderr == "plan.json: checksum verified; not signed\n"
    assert "### reconcile plan:" in shown.stdout
    assert os.path.getsize(installed.work / "plan.json") > 1000
