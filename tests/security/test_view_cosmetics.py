"""What a reviewer reads: the PSA named by its title, an address shortened in the text view as in
Markdown, a hostile name escaped once, and the saved plan's file quoted for a shell."""

from __future__ import annotations

import shlex

import pytest

from reconciler.psa.registry import get
from reconciler.render.escape import ELLIPSIS, VALUE_LIMIT, terminal
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_plan
from tests.psa_suites import PsaRig, psa

__all__ = ["psa"]  # the fixture, used by name

LONG = "w" * 200_000


def _plan(address: str) -> dict[str, object]:
    change = {
        "address": address, "kind": "halo_webhook", "section": "webhooks", "key": LONG,
        "action": "delete", "before": {"name": "x"}, "after": None,
        "diff": [{"path": "name", "before": "x", "after": None}], "reason": "not in the YAML",
    }  # fmt: skip
    return {
        "version": 1, "config_file": "mappings.yaml", "risk": "destructive",
        "summary": {"create": 0, "update": 0, "delete": 1, "deactivate": 0, "no_op": 0},
        "changes": [change], "targets": {"halopsa": "https://acme.halopsa.com"},
    }  # fmt: skip


def test_the_text_view_shortens_a_long_address_as_markdown_does() -> None:
    address = f'webhooks["{LONG}"]'
    text = render_plan(_plan(address))
    longest = max(len(line) for line in text.splitlines())
    assert longest < VALUE_LIMIT + 40, longest
    assert terminal(address)[:VALUE_LIMIT] + ELLIPSIS in text
    assert "and addresses longer than 200 are shortened" in text
    assert "addresses longer" not in render_plan(_plan('webhooks["short"]'))


def test_markdown_names_the_psa_by_its_title() -> None:
    shown = render_markdown(_plan('webhooks["a"]'), titles={"halopsa": "HaloPSA"})
    assert "against HaloPSA <code>" in shown, shown
    assert "Halopsa" not in shown
    untitled = render_markdown(_plan('webhooks["a"]'))
    assert "against Halopsa <code>" in untitled  # a system without a title: capitalised


@pytest.mark.slow
def test_titles_quoting_and_escaping_end_to_end(psa: PsaRig) -> None:
    markdown = psa("plan", "mappings.yaml", "--format", "markdown")
    assert markdown.returncode == 0, markdown.output
    title = get(psa.case.name).title  # "ConnectWise Manage", "HaloPSA"
    assert f" {title} <code>" in markdown.stdout, markdown.stdout[:600]

    out = "my plan; rm -rf x.json"
    saved = psa("plan", "mappings.yaml", "--out", out)
    assert saved.returncode == 0, saved.output
    assert f"Apply exactly it with: reconcile apply {shlex.quote(out)}" in saved.stderr
    assert (psa.workdir / out).is_file()

    name = "trunc5\x1b[31m"
    missing = psa("webhooks", "uninstall", name, "--auto-approve")
    assert missing.returncode != 0
    said = missing.stdout + missing.stderr
    assert "'trunc5\\x1b[31m'" in said, said
    assert "\\\\x1b" not in said and "\x1b" not in said
