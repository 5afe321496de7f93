"""Golden tests: run the real CLI, normalise what is volatile, compare with tests/golden/data/.

What is frozen is what a user sees: stdout, stderr and the exit code of each command, and the
files a command writes (saved plan, export). Only values that differ from run to run without the
behaviour differing are replaced (see :class:`Normaliser`, each rule with its reason); content
never is. ``RECONCILE_GOLDEN_UPDATE=1`` rewrites the golden files instead of comparing.

Commands run in this process through click's runner by default (fast, one interpreter);
``RECONCILE_GOLDEN_SUBPROCESS=1`` runs each as a real ``reconcile`` process instead (the console
script beside this interpreter), which must give the same golden files.
"""

from __future__ import annotations

import difflib
import getpass
import logging
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from reconciler import redact
from reconciler.cli import cli

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
INPUTS = HERE / "inputs"
REPO = HERE.parents[1]
UPDATE_VARIABLE = "RECONCILE_GOLDEN_UPDATE"
SUBPROCESS_VARIABLE = "RECONCILE_GOLDEN_SUBPROCESS"
COLUMNS = "80"

# Variables a command may see from the machine running the tests; every other one is removed,
# so that neither the developer's shell (NO_COLOR, TERM, CI, AUTOTASK_*, RECONCILE_*) nor a CI
# runner changes what the CLI prints.
KEPT_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")


def updating() -> bool:
    return os.environ.get(UPDATE_VARIABLE) == "1"


def in_subprocesses() -> bool:
    return os.environ.get(SUBPROCESS_VARIABLE) == "1"


# --- running the CLI -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One command as a user saw it."""

    argv: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str

    def transcript(self, env_change: str = "") -> str:
        """The command (after ``env_change``, what the scenario set or unset for it), its exit
        code and both streams, in a form a diff reads well."""
        return (
            f"$ {env_change}reconcile" + "".join(" " + _shell_word(a) for a in self.argv) + "\n"
            f"[exit {self.exit_code}]\n"
            f"--- stdout\n{_ended(self.stdout)}"
            f"--- stderr\n{_ended(self.stderr)}"
        )


def _shell_word(arg: str) -> str:
    return arg if re.fullmatch(r"[\w@%+=:,./-]+", arg) else "'" + arg.replace("'", "'\\''") + "'"


def _ended(text: str) -> str:
    return text if text == "" or text.endswith("\n") else text + "\n"


def command_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The whole environment a command runs with: the kept machine variables, a fixed terminal
    width (click wraps help to it), then ``env``."""
    base = {name: os.environ[name] for name in KEPT_VARIABLES if name in os.environ}
    return {**base, "COLUMNS": COLUMNS, "LINES": "24", **env}


def run_reconcile(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, process: bool = False
) -> Outcome:
    """Run ``reconcile ARGV`` in ``cwd`` with exactly ``command_environment(env)``; stdin is not
    a terminal (as in CI), so nothing may wait for an answer. ``process``: always as a real
    process (help pages: click's runner forces an 80-column help width, a real terminal of 80
    columns gets 78)."""
    whole = command_environment(env)
    if process or in_subprocesses():
        return _run_process(argv, whole, cwd)
    return _run_in_process(argv, whole, cwd)


def _run_process(argv: Sequence[str], env: dict[str, str], cwd: Path) -> Outcome:
    script = Path(sys.executable).with_name("reconcile")
    done = subprocess.run(
        [str(script), *argv],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=600,  # a hung command fails the test; no command here comes near it
        check=False,
    )
    return Outcome(
        tuple(argv),
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )


def _run_in_process(argv: Sequence[str], env: dict[str, str], cwd: Path) -> Outcome:
    # As a new process would: no secret learned by an earlier command, the logger untouched.
    redact.clear()
    logger = logging.getLogger("reconciler")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    overlay: dict[str, str | None] = {name: None for name in os.environ}
    overlay.update(env)
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(
            cli, list(argv), prog_name="reconcile", env=overlay, catch_exceptions=False
        )
    finally:
        os.chdir(previous)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate
        redact.clear()
    return Outcome(tuple(argv), result.exit_code, result.stdout, result.stderr)


# --- normalising ---------------------------------------------------------------------------------

_HASH = "[0-9a-f]{64}"
_ISO_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?( ?UTC|Z|[+-]\d{2}:?\d{2})?"
)
_COMPACT_TIME = re.compile(r"\b\d{8}T\d{6}Z\b")
_JOB_ELAPSED = re.compile(r"\(\d+(\.\d+)? s, job ")
_AUTOTASK_LEFT = re.compile(r"(Autotask )[\d,]+( of [\d,]+ requests left)")
_AUTOTASK_LEFT_JSON = re.compile(r'("autotask": \{\s*"limit": \d+,\s*"remaining": )\d+')
_REQUEST_MS = re.compile(r"(-> \d{3}) \(\d+ ms\)")
REQUEST_LINE = re.compile(r"^(\S+: )?(autotask|salesbuildr) (GET|POST|PUT|PATCH|DELETE) ")
"""A ``-v`` log line of one API request (``-vv`` prefixes the logger's name)."""
_PLAN_CHECKSUM = re.compile(r"(checksum\W{1,6})sha256:" + _HASH)
_OTHER_LOOPBACK_PORT = re.compile(r"\b(127\.0\.0\.1|localhost):\d{2,5}\b")


@dataclass
class Normaliser:
    """Replaces, in text a command printed or wrote, exactly the values that change between two
    runs of the same behaviour. Each rule says why it is volatile:

    - the sandbox's two loopback ports (free ports, chosen at start): ``<autotask-port>``,
      ``<salesbuildr-port>``; any other loopback port: ``<port>``;
    - the test's temporary directory: ``<workdir>``;
    - wall-clock times (ISO-8601 timestamps, ``20261203T081900Z`` stamps): ``<time>``;
    - a job's elapsed seconds on the progress lines of sync and import: ``<s>``;
    - a request's milliseconds on the ``-v`` log lines: ``<ms>``;
    - the Autotask requests left this hour (plan footer, JSON ``budgets.autotask.remaining``):
      ``<left>``: ThresholdInformation is read while the other reads are out, so the count it
      sees depends on how many of them the simulator served first (the number of requests a
      plan sends is compared, in "API calls");
    - the plan checksum, which covers ``generated_at`` and the targets' ports: ``<checksum>``;
    - this machine's user, host name and the CLI's process id in lock holders and journals;
    - ``extra``: values a test found volatile (a fingerprint of an object holding a port).
    """

    env: Mapping[str, str]
    workdir: Path | None = None
    pids: Iterable[int] = ()
    extra: dict[str, str] = field(default_factory=dict)

    def replacements(self) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        for variable, name in (
            ("AUTOTASK_API_URL", "autotask-port"),
            ("SALESBUILDR_API_URL", "salesbuildr-port"),
        ):
            if variable in self.env:
                parts = urlsplit(self.env[variable])
                pairs.append((f"{parts.hostname}:{parts.port}", f"{parts.hostname}:<{name}>"))
        if self.workdir is not None:
            for form in {str(self.workdir.resolve()), str(self.workdir)}:
                pairs.append((form, "<workdir>"))
        pairs.extend(self.extra.items())
        host, user = socket.gethostname(), getpass.getuser()
        pairs.extend((f"{user}@{host}:{pid}", "<user>@<host>:<pid>") for pid in self.pids)
        pairs.append((f"{user}@{host}", "<user>@<host>"))
        # Longest first, so that a value containing another is replaced whole.
        return sorted(pairs, key=lambda pair: -len(pair[0]))

    def text(self, text: str) -> str:
        for old, new in self.replacements():
            text = text.replace(old, new)
        text = _OTHER_LOOPBACK_PORT.sub(r"\1:<port>", text)
        text = _PLAN_CHECKSUM.sub(r"\1sha256:<checksum>", text)
        text = _ISO_TIME.sub("<time>", text)
        text = _COMPACT_TIME.sub("<time>", text)
        text = _AUTOTASK_LEFT.sub(r"\1<left>\2", text)
        text = _AUTOTASK_LEFT_JSON.sub(r'\1"<left>"', text)
        text = _REQUEST_MS.sub(r"\1 (<ms> ms)", text)
        return _JOB_ELAPSED.sub("(<s> s, job ", text)

    def outcome(self, outcome: Outcome, env_change: str = "") -> str:
        return self.text(outcome.transcript(env_change))


# --- comparing -----------------------------------------------------------------------------------


def _regenerate_command(name: str) -> str:
    return f"{UPDATE_VARIABLE}=1 .venv/bin/pytest -q -n 0 tests/golden  # writes data/{name}"


def check_golden(name: str, actual: str) -> None:
    """Compare ``actual`` with ``data/<name>``, or (updating) write it. A missing or different
    file fails the test with a diff and the command that regenerates it."""
    path = DATA / name
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != actual:
            path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(
            f"golden file tests/golden/data/{name} is missing; create it with:\n"
            f"  {_regenerate_command(name)}",
            pytrace=False,
        )
    expected = path.read_text(encoding="utf-8")
    if expected != actual:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"tests/golden/data/{name}",
                tofile="this run",
            )
        )
        pytest.fail(
            f"output differs from tests/golden/data/{name}:\n{diff}\n"
            f"If the change is intended, regenerate with:\n  {_regenerate_command(name)}",
            pytrace=False,
        )


class Transcript:
    """The commands of one golden scenario, checked as one file ``data/<name>``. Outcomes are
    normalised when checked, so that a value found volatile later in the scenario (added to
    ``normaliser.extra``) is replaced in the earlier commands too."""

    def __init__(
        self, name: str, *, env: Mapping[str, str], cwd: Path, normaliser: Normaliser
    ) -> None:
        self.name = name
        self.env = dict(env)
        self.cwd = cwd
        self.normaliser = normaliser
        self.parts: list[tuple[str, Outcome] | str] = []

    def run(
        self,
        *argv: str,
        env: Mapping[str, str | None] | None = None,
        unordered: re.Pattern[str] | None = None,
    ) -> Outcome:
        """Run a command with the scenario's environment, changed by ``env`` (None: unset).
        ``unordered``: stderr lines matching it come in no fixed order (requests sent at once);
        each unbroken run of them is sorted."""
        whole = dict(self.env)
        for key, value in (env or {}).items():
            if value is None:
                whole.pop(key, None)
            else:
                whole[key] = value
        outcome = run_reconcile(argv, env=whole, cwd=self.cwd)
        shown = outcome
        if unordered is not None:
            shown = replace(outcome, stderr=sort_runs(outcome.stderr, unordered))
        self.parts.append((_env_change(self.env, env or {}), shown))
        return outcome

    def note(self, text: str) -> None:
        """A line saying what the test did between commands (planted data, a held lock)."""
        self.parts.append(f"# {text}\n")

    def check(self) -> None:
        texts = [
            p if isinstance(p, str) else self.normaliser.outcome(p[1], p[0]) for p in self.parts
        ]
        check_golden(self.name, "\n".join(texts))


def sort_runs(text: str, pattern: re.Pattern[str]) -> str:
    """``text`` with every unbroken run of lines matching ``pattern`` sorted (other lines stay)."""
    lines, run, out = text.splitlines(keepends=True), [], []
    for line in lines:
        if pattern.search(line):
            run.append(line)
            continue
        out.extend(sorted(run))
        run = []
        out.append(line)
    out.extend(sorted(run))
    return "".join(out)


def _env_change(base: Mapping[str, str], change: Mapping[str, str | None]) -> str:
    """``env -u A B=value `` for the transcript: what a command's environment changed."""
    if not change:
        return ""
    unset = sorted(k for k, v in change.items() if v is None and k in base)
    words = [f"-u {k}" for k in unset]
    words += [f"{k}={_shell_word(v)}" for k, v in sorted(change.items()) if v is not None]
    return "env " + " ".join(words) + " " if words else ""


def transcript(name: str, *, env: Mapping[str, str], workdir: Path) -> Transcript:
    """A scenario's transcript, its commands run in ``workdir`` against ``env`` (a sandbox's)."""
    return Transcript(name, env=env, cwd=workdir, normaliser=Normaliser(env=env, workdir=workdir))
