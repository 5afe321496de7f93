"""scripts/lint_shell.py (make lint): the shell users run is found, run through shellcheck as the
runner's shell, and each finding points at the line of the YAML or Markdown file it is written
on. A small repository with planted mistakes, and the real one (clean, every run step found)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from ci_support import REPO

sys.path.insert(0, str(REPO / "scripts"))
import lint_shell  # scripts/ is on the path only now

ACTION = """\
name: x
description: x
runs:
  using: composite
  steps:
    - name: quoted
      shell: bash
      run: |
        echo "ok"
        echo ${{ inputs.name }}
    - name: not shell
      shell: pwsh
      run: Write-Output $x
"""
WORKFLOW = """\
on: push
defaults:
  run:
    shell: sh
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - name: posix
        run: |
          if [[ -n "$HOME" ]]; then echo home; fi
"""
GITLAB = """\
stages: [test]
.base:
  before_script:
    - status=0
job:
  extends: .base
  script:
    - echo "$status"
    - echo "$missing_here"
  after_script:
    - echo "$status"
"""
MARKDOWN = """\
# Title

```sh
cp $1 b
```
"""
SCRIPT = """\
#!/usr/bin/env bash
# shellcheck disable=SC2034  # kept for the reader
unused=1
"""


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    (tmp_path / "action.yml").write_text(ACTION)
    (tmp_path / "examples" / "github").mkdir(parents=True)
    (tmp_path / "examples" / "github" / "ci.yml").write_text(WORKFLOW)
    (tmp_path / "examples" / "gitlab").mkdir()
    (tmp_path / "examples" / "gitlab" / ".gitlab-ci.yml").write_text(GITLAB)
    (tmp_path / "examples" / "gitlab" / "README.md").write_text(MARKDOWN)
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "ok.sh").write_text(SCRIPT)
    return tmp_path


def test_every_planted_mistake_is_found_at_its_line(
    planted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert lint_shell.main([str(planted)]) == 1
    lines = capsys.readouterr().out.splitlines()
    findings = sorted(line.rsplit(" [", 1)[0] for line in lines[:-1])
    assert findings == [
        # ${{ }} became a variable: unquoted, it is split and globbed like one
        "action.yml:10:14: info SC2086: Double quote to prevent globbing and word splitting.",
        "examples/github/ci.yml:11:14: warning SC3010: In POSIX sh, [[ ]] is undefined.",
        # after_script runs in a shell of its own: before_script's variable is not set there
        "examples/gitlab/.gitlab-ci.yml:11:13: warning SC2154: status is referenced but not "
        "assigned.",
        # script runs after before_script in one shell: $status is set, $missing_here is not
        "examples/gitlab/.gitlab-ci.yml:9:13: warning SC2154: missing_here is referenced but "
        "not assigned.",
        "examples/gitlab/README.md:4:4: info SC2086: Double quote to prevent globbing and word "
        "splitting.",
    ]
    assert lines[-1] == "shellcheck: 6 script(s) in 5 file(s): 5 finding(s)"


def test_github_expressions_become_a_placeholder_variable(planted: Path) -> None:
    [quoted] = lint_shell.action_snippets(planted / "action.yml")  # pwsh is not shell
    assert quoted.text == 'echo "ok"\necho ${GITHUB_EXPRESSION}\n'
    assert quoted.lines == (9, 10)


def test_the_real_files_are_clean_and_every_run_step_is_checked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    snippets = lint_shell.every_snippet(REPO)
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    run_steps = [step["name"] for step in action["runs"]["steps"] if "run" in step]
    checked = [s.label.removeprefix("step: ") for s in snippets if s.file.name == "action.yml"]
    assert checked == run_steps
    files = {s.file.relative_to(REPO).as_posix() for s in snippets}
    assert {
        "examples/github/plan.yml",
        "examples/github/release.yml",
        "examples/gitlab/.gitlab-ci.yml",
        "examples/github/README.md",
        "scripts/demo.sh",
    } <= files
    gitlab = {s.label for s in snippets if s.file.name == ".gitlab-ci.yml"}
    assert gitlab == {"job validate", "job plan", "job apply"}  # .reconcile is a template
    assert lint_shell.main([str(REPO)]) == 0
    assert capsys.readouterr().out.endswith(": clean\n")
