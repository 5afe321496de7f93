"""The plan's Markdown for a CI job: a comment that fits its forge, the full plan for the summary.

A pull-request comment holds at most 65,536 characters on GitHub and a merge-request note
1,000,000 on GitLab; a 20,000-change plan is several megabytes of Markdown. So the CI step
renders the saved plan (``plan.json``) twice, with the plan's own Markdown view:

* the **comment**, within :func:`comment_budget` (GitHub :data:`GITHUB_BUDGET`, GitLab
  :data:`GITLAB_BUDGET`): over it, the largest sections shrink to their counts per action and
  the comment names where the full plan is — the artifact by the name the Action uploads it
  under (``artifact-name``, default ``reconcile-plan``) and this run's job summary;
* the **job summary** (``$GITHUB_STEP_SUMMARY``, 1 MiB a step), within
  :data:`JOB_SUMMARY_LIMIT` characters (4 bytes each at most), which holds every change of all
  but the largest plans; the artifact always has every field.

Every value still passes the Markdown view's escaping: nothing here formats plan data.
The renderer is imported from the reconcile installed beside this interpreter (the Action and
the GitLab example install it there); without it, :func:`plan_bodies` returns None and the step
posts reconcile's own output, which is always under :data:`GITHUB_BUDGET`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

GITHUB_BUDGET = 60_000
"""Characters of a GitHub comment body we fill (GitHub takes 65,536; the key line and the
marker that ``sticky_comment.py`` may add fit in the rest)."""
GITLAB_BUDGET = 900_000
"""Characters of a GitLab note body we fill (GitLab takes 1,000,000)."""
JOB_SUMMARY_LIMIT = 250_000
"""Characters of the job summary: GitHub takes 1 MiB per step, and a character is <= 4 bytes."""
ARTIFACT_INPUT = "INPUT_ARTIFACT_NAME"
"""The Action's artifact name (its ``artifact-name`` input or ``reconcile-<command>``)."""


@dataclass(frozen=True)
class PlanBodies:
    comment: str
    summary: str


def platform(env: Mapping[str, str]) -> str:
    """``gitlab`` in a GitLab CI job, else ``github``."""
    return "gitlab" if env.get("GITLAB_CI") == "true" else "github"


def comment_budget(env: Mapping[str, str]) -> int:
    return GITLAB_BUDGET if platform(env) == "gitlab" else GITHUB_BUDGET


def artifact_name(env: Mapping[str, str], command: str, given: str = "") -> str | None:
    """The name the plan is uploaded under: ``--artifact-name``, else the Action's, else
    ``reconcile-<command>`` on GitHub Actions (the Action's default); None elsewhere (a GitLab
    job's artifacts have no name of their own)."""
    name = given.strip() or env.get(ARTIFACT_INPUT, "").strip()
    if name:
        return name
    return f"reconcile-{command}" if env.get("GITHUB_ACTIONS") == "true" else None


def plan_bodies(
    plan: Mapping[str, Any], *, plan_file: str, env: Mapping[str, str], artifact: str | None
) -> PlanBodies | None:
    """The comment and the job summary of ``plan`` (the saved plan's dict), or None when the
    reconcile renderer cannot be imported here or is not the one that made the plan."""
    try:
        from reconciler.plan.model import FORMAT_VERSION  # noqa: PLC0415
        from reconciler.render.markdown import render_markdown  # noqa: PLC0415
    except ImportError:
        return None
    if plan.get("format_version") != FORMAT_VERSION:  # made by another reconcile (--reconcile)
        return None
    summary_written = platform(env) == "github" and bool(env.get("GITHUB_STEP_SUMMARY"))
    comment = render_markdown(
        plan,
        plan_file=plan_file,
        limit=comment_budget(env),
        artifact=artifact,
        job_summary=summary_written,
    )
    summary = render_markdown(plan, plan_file=plan_file, limit=JOB_SUMMARY_LIMIT, artifact=artifact)
    return PlanBodies(comment=comment, summary=summary)
