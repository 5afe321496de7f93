"""Create or update the one sticky reconcile comment on a pull request or merge request.

::

    python ci/sticky_comment.py github --body-file reconcile-plan.md
    python ci/sticky_comment.py gitlab --body-file reconcile-plan.md

A comment is *ours* when it begins with the same HTML marker lines as the new body
(``<!-- reconcile-plan -->``, plus ``<!-- reconcile-key: NAME -->`` with ``--key``, so that two
configurations in one repository keep a comment each). The first such comment is edited in place;
without one, a new comment is posted. A comment that does not begin with the marker (a person
quoting it, a review remark) is never edited.

GitHub: ``GET /repos/{owner}/{repo}/issues/{n}/comments`` (every page, by the ``Link`` header), then
``PATCH /repos/{owner}/{repo}/issues/comments/{id}`` or ``POST .../issues/{n}/comments``; token from
``GITHUB_TOKEN``, repository from ``GITHUB_REPOSITORY``, pull request number from the event in
``GITHUB_EVENT_PATH`` (or ``--number``), API root from ``GITHUB_API_URL``.

GitLab: ``GET {CI_API_V4_URL}/projects/{CI_PROJECT_ID}/merge_requests/{CI_MERGE_REQUEST_IID}/notes``
(every page, by ``X-Next-Page``), then ``PUT .../notes/{id}`` or ``POST .../notes``; a project or
personal access token from ``RECONCILE_GITLAB_TOKEN`` or ``GITLAB_TOKEN`` (``PRIVATE-TOKEN``),
else ``CI_JOB_TOKEN`` (``JOB-TOKEN``; GitLab does not let job tokens write notes today).

Standard library and httpx only. Tests pass an ``httpx.MockTransport``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import httpx

DEFAULT_MARKER = "<!-- reconcile-plan -->"
GITHUB_LIMIT = 65_536  # characters GitHub accepts in a comment body
GITLAB_LIMIT = 1_000_000
TRUNCATED = "\n\n… truncated to fit the comment limit; the plan artifact has every change.\n"
TIMEOUT = httpx.Timeout(30.0)


class CommentError(Exception):
    """A failure a person can act on: the message says what happened, the hint what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def identity(body: str) -> tuple[str, ...]:
    """The leading ``<!-- ... -->`` lines of a body: what makes a comment ours."""
    lines: list[str] = []
    for line in body.lstrip().splitlines():
        stripped = line.strip()
        if not (stripped.startswith("<!--") and stripped.endswith("-->")):
            break
        lines.append(stripped)
    return tuple(lines)


def prepare(body: str, *, key: str = "", limit: int = GITHUB_LIMIT) -> str:
    """The body to send: the marker first (added when missing), the key line, within ``limit``."""
    text = body.lstrip()
    marker = identity(text)
    if not marker:
        text = f"{DEFAULT_MARKER}\n{text}"
        marker = (DEFAULT_MARKER,)
    if key:
        key_line = f"<!-- reconcile-key: {key.replace('--', '- -')} -->"
        if key_line not in marker:
            head, _, rest = text.partition("\n")
            text = f"{head}\n{key_line}\n{rest}"
    if len(text) > limit:
        text = text[: limit - len(TRUNCATED)] + TRUNCATED
    return text


class Thread(Protocol):
    """The comments of one pull request or merge request."""

    limit: int

    def comments(self) -> Iterator[tuple[int, str]]: ...
    def update(self, comment_id: int, body: str) -> None: ...
    def create(self, body: str) -> int: ...


@dataclass
class GitHubThread:
    client: httpx.Client
    repository: str
    number: int
    limit: int = GITHUB_LIMIT

    def comments(self) -> Iterator[tuple[int, str]]:
        url: str | None = f"/repos/{self.repository}/issues/{self.number}/comments"
        params: dict[str, Any] | None = {"per_page": 100}
        while url:
            response = _checked(self.client.get(url, params=params))
            for comment in response.json():
                yield int(comment["id"]), str(comment.get("body") or "")
            url = response.links.get("next", {}).get("url")
            params = None  # the next link carries them

    def update(self, comment_id: int, body: str) -> None:
        path = f"/repos/{self.repository}/issues/comments/{comment_id}"
        _checked(self.client.patch(path, json={"body": body}))

    def create(self, body: str) -> int:
        path = f"/repos/{self.repository}/issues/{self.number}/comments"
        return int(_checked(self.client.post(path, json={"body": body})).json()["id"])


@dataclass
class GitLabThread:
    client: httpx.Client
    project: str
    iid: int
    limit: int = GITLAB_LIMIT

    @property
    def _notes(self) -> str:
        return f"projects/{quote(self.project, safe='')}/merge_requests/{self.iid}/notes"

    def comments(self) -> Iterator[tuple[int, str]]:
        page = "1"
        while page:
            response = _checked(
                self.client.get(
                    self._notes,
                    params={"per_page": 100, "page": page, "sort": "asc", "order_by": "created_at"},
                )
            )
            for note in response.json():
                if not note.get("system"):
                    yield int(note["id"]), str(note.get("body") or "")
            page = response.headers.get("x-next-page", "").strip()

    def update(self, comment_id: int, body: str) -> None:
        _checked(self.client.put(f"{self._notes}/{comment_id}", json={"body": body}))

    def create(self, body: str) -> int:
        return int(_checked(self.client.post(self._notes, json={"body": body})).json()["id"])


def _checked(response: httpx.Response) -> httpx.Response:
    if response.is_success:
        return response
    try:
        detail = response.json().get("message", "")
    except (ValueError, AttributeError):
        detail = ""
    detail = str(detail or response.text[:300]).strip()
    request = response.request
    message = f"{request.method} {request.url.path} answered {response.status_code}"
    if detail:
        message += f": {detail}"
    hint = ""
    if response.status_code in (401, 403, 404):
        hint = (
            "the token may not comment here: on GitHub grant the workflow `permissions: "
            "pull-requests: write` (pull requests from forks get a read-only token); on GitLab "
            "use a project access token with the api scope in RECONCILE_GITLAB_TOKEN"
        )
    raise CommentError(message, hint)


def upsert(thread: Thread, body: str, *, key: str = "") -> tuple[str, int]:
    """Edit the first comment that is ours, or post one. Returns (what was done, comment id)."""
    text = prepare(body, key=key, limit=thread.limit)
    ours = identity(text)
    for comment_id, existing in thread.comments():
        if identity(existing) == ours:
            if _normal(existing) == _normal(text):
                return "unchanged", comment_id
            thread.update(comment_id, text)
            return "updated", comment_id
    return "created", thread.create(text)


def _normal(body: str) -> str:
    """GitHub hands back bodies edited on the web with CRLF line ends."""
    return body.replace("\r\n", "\n").strip()


def github_thread(
    env: Mapping[str, str], *, number: int | None, transport: httpx.BaseTransport | None
) -> tuple[httpx.Client, GitHubThread]:
    token = env.get("GITHUB_TOKEN", "")
    repository = env.get("GITHUB_REPOSITORY", "")
    if not token:
        raise CommentError("GITHUB_TOKEN is not set", "pass github-token (default: github.token)")
    if repository.count("/") != 1:
        raise CommentError("GITHUB_REPOSITORY is not set to owner/name")
    if number is None:
        number = _pull_request_number(env.get("GITHUB_EVENT_PATH", ""))
    client = httpx.Client(
        base_url=env.get("GITHUB_API_URL") or "https://api.github.com",
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "reconcile-sticky-comment",
        },
        timeout=TIMEOUT,
        transport=transport or httpx.HTTPTransport(retries=2),
    )
    return client, GitHubThread(client, repository, number)


def _pull_request_number(event_path: str) -> int:
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8")) if event_path else {}
    except (OSError, ValueError) as error:
        raise CommentError(f"cannot read the event in GITHUB_EVENT_PATH: {error}") from None
    for key in ("pull_request", "issue"):
        number = (event.get(key) or {}).get("number")
        if isinstance(number, int):
            return number
    if isinstance(event.get("number"), int):
        return int(event["number"])
    raise CommentError(
        "this run is not for a pull request (no pull_request.number in the event)",
        "run the comment step only on pull_request events, or pass --number",
    )


def gitlab_thread(
    env: Mapping[str, str], *, number: int | None, transport: httpx.BaseTransport | None
) -> tuple[httpx.Client, GitLabThread]:
    api = env.get("CI_API_V4_URL", "")
    project = env.get("CI_PROJECT_ID", "")
    iid = number if number is not None else env.get("CI_MERGE_REQUEST_IID", "")
    if not api or not project:
        raise CommentError("CI_API_V4_URL and CI_PROJECT_ID are not set (not a GitLab CI job?)")
    if not str(iid).strip().isdigit():
        raise CommentError(
            "CI_MERGE_REQUEST_IID is not set: this is not a merge request pipeline",
            'run the job with rules: - if: $CI_PIPELINE_SOURCE == "merge_request_event"',
        )
    token = env.get("RECONCILE_GITLAB_TOKEN") or env.get("GITLAB_TOKEN")
    if token:
        headers = {"PRIVATE-TOKEN": token}
    elif env.get("CI_JOB_TOKEN"):
        headers = {"JOB-TOKEN": env["CI_JOB_TOKEN"]}
    else:
        raise CommentError(
            "no GitLab token: set RECONCILE_GITLAB_TOKEN",
            "a project access token with the api scope (role Reporter or above), stored as a "
            "masked CI/CD variable",
        )
    client = httpx.Client(
        base_url=api.rstrip("/") + "/",
        headers={**headers, "User-Agent": "reconcile-sticky-comment"},
        timeout=TIMEOUT,
        transport=transport or httpx.HTTPTransport(retries=2),
    )
    return client, GitLabThread(client, project, int(str(iid)))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="sticky_comment.py",
        description="Create or update the one reconcile comment on a pull/merge request.",
    )
    parser.add_argument("platform", choices=("github", "gitlab"))
    parser.add_argument("--body-file", type=Path, required=True, help="the Markdown body")
    parser.add_argument("--key", default="", help="keep a separate comment per key")
    parser.add_argument("--number", type=int, help="the PR number / MR iid (default: from CI)")
    return parser.parse_args(argv)


def main(
    argv: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> int:
    options = parse_args(argv)
    environ = os.environ if env is None else env
    try:
        try:
            body = options.body_file.read_text(encoding="utf-8")
        except OSError as error:
            raise CommentError(f"cannot read {options.body_file}: {error.strerror}") from None
        if not body.strip():
            print(f"{options.body_file} is empty: no comment")
            return 0
        make = github_thread if options.platform == "github" else gitlab_thread
        client, thread = make(environ, number=options.number, transport=transport)
        with client:
            done, comment_id = upsert(thread, body, key=options.key)
    except CommentError as error:
        print(f"error: {error.message}", file=sys.stderr)
        if error.hint:
            print(f"  hint: {error.hint}", file=sys.stderr)
        return 1
    except httpx.HTTPError as error:
        print(f"error: {options.platform} API: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(f"{done} comment {comment_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
