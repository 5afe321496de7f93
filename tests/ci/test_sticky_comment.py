"""ci/sticky_comment.py: one comment per pull/merge request, found by its marker.

The GitHub REST API and the GitLab notes API are played by ``httpx.MockTransport`` handlers that
keep comments in a list, page them the way each forge does (GitHub: ``Link: <...>; rel="next"``,
GitLab: ``X-Next-Page``) and record every request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sticky_comment
from ci_support import base_env
from sticky_comment import GITHUB_LIMIT, identity, prepare

from reconciler.render.markdown import MARKER

PLAN_BODY = f"{MARKER}\n### reconcile plan: 1 to create, 0 to update · risk: safe\n\n| a | b |\n"


@dataclass
class Forge:
    """Comments of one thread, served a page at a time; every request is recorded."""

    comments: list[dict[str, Any]]
    per_page: int = 2
    requests: list[httpx.Request] = field(default_factory=list)
    status: int = 200
    next_id: int = 9000

    def page(self, number: int) -> tuple[list[dict[str, Any]], bool]:
        start = (number - 1) * self.per_page
        return self.comments[start : start + self.per_page], start + self.per_page < len(
            self.comments
        )

    def written(self) -> list[tuple[str, str, str]]:
        return [
            (r.method, r.url.path, json.loads(r.content)["body"])
            for r in self.requests
            if r.method != "GET"
        ]


class GitHubApi(Forge):
    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.status != 200:
            return httpx.Response(self.status, json={"message": "Resource not accessible"})
        path = request.url.path
        if request.method == "GET" and path == "/repos/acme/settings/issues/7/comments":
            number = int(request.url.params.get("page", "1"))
            items, more = self.page(number)
            headers = {}
            if more:
                link = f"{request.url.copy_with(params={'per_page': 100, 'page': number + 1})}"
                headers["Link"] = f'<{link}>; rel="next", <{link}>; rel="last"'
            return httpx.Response(200, json=items, headers=headers)
        if request.method == "PATCH" and path.startswith("/repos/acme/settings/issues/comments/"):
            comment_id = int(path.rsplit("/", 1)[1])
            return httpx.Response(200, json={"id": comment_id})
        if request.method == "POST" and path == "/repos/acme/settings/issues/7/comments":
            return httpx.Response(201, json={"id": self.next_id})
        return httpx.Response(404, json={"message": "Not Found"})


class GitLabApi(Forge):
    notes = "/api/v4/projects/42/merge_requests/5/notes"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.status != 200:
            return httpx.Response(self.status, json={"message": "403 Forbidden"})
        path = request.url.path
        if request.method == "GET" and path == self.notes:
            number = int(request.url.params.get("page", "1"))
            items, more = self.page(number)
            return httpx.Response(
                200, json=items, headers={"X-Next-Page": str(number + 1) if more else ""}
            )
        if request.method == "PUT" and path.startswith(self.notes + "/"):
            return httpx.Response(200, json={"id": int(path.rsplit("/", 1)[1])})
        if request.method == "POST" and path == self.notes:
            return httpx.Response(201, json={"id": self.next_id})
        return httpx.Response(404, json={"message": "404 Not Found"})


def github_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "pull_request": {"number": 7}}))
    return {
        **base_env(),
        "GITHUB_TOKEN": "ghs_test-token",
        "GITHUB_REPOSITORY": "acme/settings",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_API_URL": "https://api.github.test",
        **extra,
    }


def gitlab_env(**extra: str) -> dict[str, str]:
    return {
        **base_env(),
        "CI_API_V4_URL": "https://gitlab.test/api/v4",
        "CI_PROJECT_ID": "42",
        "CI_MERGE_REQUEST_IID": "5",
        "RECONCILE_GITLAB_TOKEN": "glpat-test",
        **extra,
    }


def body_file(tmp_path: Path, text: str = PLAN_BODY) -> str:
    path = tmp_path / "plan.md"
    path.write_text(text)
    return str(path)


# -- GitHub --------------------------------------------------------------------------------------


def test_github_updates_the_marked_comment_found_on_page_two(tmp_path: Path) -> None:
    api = GitHubApi(
        [
            {"id": 1, "body": "LGTM"},
            {"id": 2, "body": f"> {MARKER}\n> quoted by a reviewer"},
            {"id": 3, "body": f"Earlier, the bot said:\n{MARKER}\nold"},
            {"id": 4, "body": f"{MARKER}\r\n### reconcile plan: old\r\n"},
            {"id": 5, "body": f"{MARKER}\n### a second one, never touched"},
        ]
    )
    status = sticky_comment.main(
        ["github", "--body-file", body_file(tmp_path)],
        env=github_env(tmp_path),
        transport=httpx.MockTransport(api),
    )
    assert status == 0
    assert api.written() == [("PATCH", "/repos/acme/settings/issues/comments/4", PLAN_BODY)]
    pages = [r.url.params.get("page") for r in api.requests if r.method == "GET"]
    assert pages == [None, "2"]  # followed the Link header, stopped at the match
    first = api.requests[0]
    assert first.url.params["per_page"] == "100"
    assert first.headers["Authorization"] == "Bearer ghs_test-token"
    assert first.headers["Accept"] == "application/vnd.github+json"
    assert first.url.host == "api.github.test"


def test_github_creates_a_comment_when_none_has_the_marker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api = GitHubApi([{"id": n, "body": f"comment {n} mentions reconcile-plan"} for n in range(5)])
    status = sticky_comment.main(
        ["github", "--body-file", body_file(tmp_path)],
        env=github_env(tmp_path),
        transport=httpx.MockTransport(api),
    )
    assert status == 0
    assert api.written() == [("POST", "/repos/acme/settings/issues/7/comments", PLAN_BODY)]
    assert len([r for r in api.requests if r.method == "GET"]) == 3  # every page read
    assert "created comment 9000" in capsys.readouterr().out


def test_github_leaves_an_identical_comment_alone(tmp_path: Path) -> None:
    api = GitHubApi([{"id": 11, "body": PLAN_BODY.replace("\n", "\r\n")}])
    status = sticky_comment.main(
        ["github", "--body-file", body_file(tmp_path)],
        env=github_env(tmp_path),
        transport=httpx.MockTransport(api),
    )
    assert status == 0
    assert api.written() == []


def test_a_key_keeps_one_comment_per_configuration(tmp_path: Path) -> None:
    keyed = f"{MARKER}\n<!-- reconcile-key: staging -->\nstaging plan"
    api = GitHubApi([{"id": 1, "body": keyed}, {"id": 2, "body": f"{MARKER}\nunkeyed plan"}])
    transport = httpx.MockTransport(api)
    env = github_env(tmp_path)
    body = body_file(tmp_path)
    for key in ("prod", "staging", ""):
        assert (
            sticky_comment.main(["github", "--body-file", body, "--key", key], env, transport) == 0
        )
    written = api.written()
    assert [(method, path) for method, path, _ in written] == [
        ("POST", "/repos/acme/settings/issues/7/comments"),
        ("PATCH", "/repos/acme/settings/issues/comments/1"),
        ("PATCH", "/repos/acme/settings/issues/comments/2"),
    ]
    assert written[0][2].startswith(f"{MARKER}\n<!-- reconcile-key: prod -->\n### reconcile plan")
    assert identity(written[1][2]) == (MARKER, "<!-- reconcile-key: staging -->")
    assert written[2][2] == PLAN_BODY


def test_github_error_fails_with_a_hint_and_no_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api = GitHubApi([], status=403)
    status = sticky_comment.main(
        ["github", "--body-file", body_file(tmp_path)],
        env=github_env(tmp_path),
        transport=httpx.MockTransport(api),
    )
    assert status == 1
    err = capsys.readouterr().err
    assert "GET /repos/acme/settings/issues/7/comments answered 403" in err
    assert "Resource not accessible" in err
    assert "pull-requests: write" in err
    assert "ghs_test-token" not in err
    assert api.written() == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"GITHUB_TOKEN": ""}, "GITHUB_TOKEN is not set"),
        ({"GITHUB_REPOSITORY": ""}, "GITHUB_REPOSITORY is not set"),
        ({"GITHUB_EVENT_PATH": ""}, "not for a pull request"),
    ],
)
def test_github_needs_its_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, str], message: str
) -> None:
    api = GitHubApi([])
    env = {**github_env(tmp_path), **change}
    status = sticky_comment.main(
        ["github", "--body-file", body_file(tmp_path)], env, httpx.MockTransport(api)
    )
    assert status == 1
    assert message in capsys.readouterr().err
    assert api.requests == []


def test_number_from_an_issue_comment_event_or_the_flag(tmp_path: Path) -> None:
    api = GitHubApi([])
    env = github_env(tmp_path)
    Path(env["GITHUB_EVENT_PATH"]).write_text(json.dumps({"issue": {"number": 7}}))
    transport = httpx.MockTransport(api)
    assert sticky_comment.main(["github", "--body-file", body_file(tmp_path)], env, transport) == 0
    Path(env["GITHUB_EVENT_PATH"]).write_text("{}")
    args = ["github", "--body-file", body_file(tmp_path), "--number", "7"]
    assert sticky_comment.main(args, env, transport) == 0
    assert [path for _, path, _ in api.written()] == [
        "/repos/acme/settings/issues/7/comments",
        "/repos/acme/settings/issues/7/comments",
    ]


def test_empty_body_posts_nothing(tmp_path: Path) -> None:
    api = GitHubApi([])
    args = ["github", "--body-file", body_file(tmp_path, "\n")]
    assert sticky_comment.main(args, github_env(tmp_path), httpx.MockTransport(api)) == 0
    assert api.requests == []


# -- the body ----------------------------------------------------------------------------------


def test_prepare_adds_the_marker_and_keeps_under_the_limit() -> None:
    assert prepare("plain text") == f"{MARKER}\nplain text"
    long = PLAN_BODY + "x" * (GITHUB_LIMIT + 10)
    prepared = prepare(long)
    assert len(prepared) <= GITHUB_LIMIT
    assert prepared.startswith(MARKER + "\n")
    assert prepared.endswith("the plan artifact has every change.\n")
    assert identity(prepare(PLAN_BODY, key="a --> b")) == (
        MARKER,
        "<!-- reconcile-key: a - -> b -->",
    )


def test_identity_is_only_the_leading_marker_lines() -> None:
    assert identity(f"\n{MARKER}\n<!-- reconcile-key: x -->\ntext <!-- y -->") == (
        MARKER,
        "<!-- reconcile-key: x -->",
    )
    assert identity(f"> {MARKER}") == ()
    assert identity(f"text\n{MARKER}") == ()


# -- GitLab --------------------------------------------------------------------------------------


def test_gitlab_updates_the_marked_note_skipping_system_notes(tmp_path: Path) -> None:
    api = GitLabApi(
        [
            {"id": 1, "body": "added 1 commit", "system": True},
            {"id": 2, "body": f"{MARKER}\nmentioned in a system note", "system": True},
            {"id": 3, "body": f"quoting:\n{MARKER}", "system": False},
            {"id": 4, "body": f"{MARKER}\n### reconcile plan: old", "system": False},
        ]
    )
    status = sticky_comment.main(
        ["gitlab", "--body-file", body_file(tmp_path)],
        env=gitlab_env(),
        transport=httpx.MockTransport(api),
    )
    assert status == 0
    assert api.written() == [("PUT", f"{api.notes}/4", PLAN_BODY)]
    gets = [r for r in api.requests if r.method == "GET"]
    assert [r.url.params["page"] for r in gets] == ["1", "2"]
    assert gets[0].url.params["per_page"] == "100"
    assert gets[0].headers["PRIVATE-TOKEN"] == "glpat-test"


def test_gitlab_creates_a_note_with_the_job_token_fallback(tmp_path: Path) -> None:
    api = GitLabApi([{"id": 1, "body": "nice", "system": False}])
    env = gitlab_env(RECONCILE_GITLAB_TOKEN="", CI_JOB_TOKEN="job-token")
    status = sticky_comment.main(
        ["gitlab", "--body-file", body_file(tmp_path)], env, httpx.MockTransport(api)
    )
    assert status == 0
    assert api.written() == [("POST", api.notes, PLAN_BODY)]
    assert all(r.headers["JOB-TOKEN"] == "job-token" for r in api.requests)
    assert all("PRIVATE-TOKEN" not in r.headers for r in api.requests)


def test_gitlab_project_path_is_encoded(tmp_path: Path) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        if request.method == "GET":
            return httpx.Response(200, json=[])
        return httpx.Response(201, json={"id": 1})

    env = gitlab_env(CI_PROJECT_ID="acme/settings")
    args = ["gitlab", "--body-file", body_file(tmp_path)]
    assert sticky_comment.main(args, env, httpx.MockTransport(handler)) == 0
    assert seen[-1] == "/api/v4/projects/acme%2Fsettings/merge_requests/5/notes"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"CI_MERGE_REQUEST_IID": ""}, "not a merge request pipeline"),
        ({"CI_API_V4_URL": ""}, "not a GitLab CI job"),
        ({"RECONCILE_GITLAB_TOKEN": ""}, "no GitLab token"),
    ],
)
def test_gitlab_needs_its_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, str], message: str
) -> None:
    api = GitLabApi([])
    status = sticky_comment.main(
        ["gitlab", "--body-file", body_file(tmp_path)],
        {**gitlab_env(), **change},
        httpx.MockTransport(api),
    )
    assert status == 1
    assert message in capsys.readouterr().err
    assert api.requests == []


def test_gitlab_refusal_names_the_token_to_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api = GitLabApi([], status=403)
    status = sticky_comment.main(
        ["gitlab", "--body-file", body_file(tmp_path)], gitlab_env(), httpx.MockTransport(api)
    )
    assert status == 1
    err = capsys.readouterr().err
    assert "answered 403: 403 Forbidden" in err and "RECONCILE_GITLAB_TOKEN" in err
