"""Helpers of the CI-integration tests (imported by their conftest and modules).

The scripts in ``ci/`` are run by CI as ``python ci/<script>.py``; importing this module puts that
directory on ``sys.path`` so the tests import them as modules. :func:`base_env` is the environment a
CI step would give them: this machine's PATH and Python, none of the developer's (or this CI's own)
GitHub, GitLab or reconcile variables.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "mappings.yaml"
if str(REPO / "ci") not in sys.path:
    sys.path.insert(0, str(REPO / "ci"))

from run_reconcile import Completed  # noqa: E402  (ci/ is on the path only now)

FOREIGN = ("GITHUB_", "RUNNER_", "CI_", "GITLAB_", "RECONCILE_", "AUTOTASK_", "SALESBUILDR_")


def base_env() -> dict[str, str]:
    """os.environ without any CI or reconcile variable, so the host cannot change an outcome."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN)}
    env.pop("CI", None)
    env["NO_COLOR"] = "1"
    return env


def read_github_output(path: Path) -> dict[str, str]:
    """Parse a $GITHUB_OUTPUT file: ``name=value`` and ``name<<DELIMITER`` ... ``DELIMITER``."""
    outputs: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, index + 1)
            outputs[name] = "\n".join(lines[index + 1 : end])
            index = end + 1
        else:
            name, value = line.split("=", 1)
            outputs[name] = value
            index += 1
    return outputs


def in_process(argv: list[str], env: Mapping[str, str], cwd: Path) -> Completed:
    """A run_reconcile runner that calls the CLI in this process (a subprocess costs ~1 s).

    Sees exactly ``env`` (every other variable is removed for the call) and must run in ``cwd``.
    """
    assert Path.cwd() == cwd, "chdir to the working directory first (the workdir fixture)"
    assert argv[1:3] == ["-m", "reconciler"], argv
    env = {**{name: None for name in os.environ if name not in env}, **env}
    result = CliRunner().invoke(cli, argv[3:], env=env, catch_exceptions=False)
    return Completed(argv, result.exit_code, result.stdout, result.stderr)
