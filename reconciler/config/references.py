"""Where ``${env:NAME}`` may stand in a document, and what it may name.

A reference is a reviewed pointer, never a channel: it may stand only in the fields a
:class:`ReferenceFields` names (for mappings.yaml: secret fields and connection URLs), a system's
URL variable only in a URL field (the host check reviews it), and never a variable reconcile
reads itself (:mod:`reconciler.envvars`).
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.envvars import Reference, VariableRole, parse_reference, role_of
from reconciler.psa import registry

PathKey = tuple[str | int, ...]

ANY_KEY = "*"
"""In a :class:`ReferenceFields` path: any key of a name-keyed map (``webhooks.*.secret``)."""


@dataclass(frozen=True)
class ReferenceFields:
    """Where ``${env:...}`` may stand: secret fields, and URL fields (which alone may hold a
    system's URL variable, since the host check reviews them)."""

    secrets: tuple[PathKey, ...]
    urls: tuple[PathKey, ...]

    def kind_of(self, path: PathKey) -> str | None:
        """ "secret", "url", or None where no reference may stand."""
        for kind, patterns in (("secret", self.secrets), ("url", self.urls)):
            if any(_path_matches(pattern, path) for pattern in patterns):
                return kind
        return None

    def describe(self) -> str:
        return ", ".join(_dotted(p) for p in (*self.secrets, *self.urls))


def _path_matches(pattern: PathKey, path: PathKey) -> bool:
    return len(pattern) == len(path) and all(
        want in (ANY_KEY, part) for want, part in zip(pattern, path, strict=True)
    )


def _dotted(path: PathKey) -> str:
    return ".".join(str(part) for part in path)


OWN_VARIABLE_HINT = (
    "reference a variable of your own (e.g. ${env:MY_WEBHOOK_SECRET}); for a literal ${ write $${"
)


def own_variable_role(name: str) -> str | None:
    """What reconcile reads ``name`` for ("credential", "limit", ...), or None: not one of its
    own variables (the YAML's, which a ``.env`` may supply)."""
    role = role_of(name)
    if role is not VariableRole.OTHER:
        return role.value
    for psa in registry.installed().values():
        if name in psa.limit_vars:
            return VariableRole.LIMIT.value
        if name in psa.env_vars:
            return f"{psa.title} connection variable"
    return None


def own_variable_problem(name: str) -> str | None:
    """Why ``${env:name}`` may never be referenced (it names a variable reconcile reads itself:
    a credential, a trust setting, a CI token, a limit), or None. URL variables are not refused
    here: a URL field may name them (the host check reviews it)."""
    role = own_variable_role(name)
    if role is None or role == VariableRole.URL.value:
        return None
    return f"${{env:{name}}} names a {role} reconcile reads itself"


def refused_reference(text: str) -> str | None:
    """Why a secret's stored reference ``text`` (a saved plan's ``secret_refs`` value) may not be
    resolved, or None. The YAML's rule (:func:`own_variable_problem`), and a secret is never
    a URL variable: the one check for both the YAML and a saved plan."""
    reference = parse_reference(text)
    if reference is None:
        return None  # not a reference: nothing is read from the environment
    if role_of(reference.name) is VariableRole.URL:
        return f"${{env:{reference.name}}} is a URL variable, never a secret"
    return own_variable_problem(reference.name)


def reference_problems(
    fields: ReferenceFields | None, path: PathKey, references: list[Reference]
) -> list[tuple[str, str]]:
    """(message, hint) for each reference to one of reconcile's own variables, else for
    references where none may stand (``fields`` None: they may stand in any value)."""
    problems: list[tuple[str, str]] = []
    kind = fields.kind_of(path) if fields else "any"
    where = _dotted(path)
    for reference in references:
        own = own_variable_problem(reference.name)
        if role_of(reference.name) is VariableRole.URL and kind not in ("url", "any"):
            problems.append(
                (
                    f"{where}: ${{env:{reference.name}}} is a URL variable; it may stand only "
                    "in a connection url field (autotask.url, salesbuildr.url)",
                    "write the value here, or move the reference to the url field",
                )
            )
        elif own is not None:
            problems.append(
                (f"{where}: {own}; it cannot be referenced from the YAML", OWN_VARIABLE_HINT)
            )
    if kind is None and not problems:
        described = fields.describe() if fields else ""
        problems.append(
            (
                f"{where}: ${{env:...}} may stand only in secret fields and connection urls "
                f"({described})",
                "write the value itself; for a literal ${ write $${",
            )
        )
    return problems
