"""The JSON view: the plan's dict form, keys sorted, secrets only as "(sensitive)".

Non-ASCII text stays readable (``ensure_ascii=False``); :func:`json_text` escapes, inside
strings, the hidden characters ``json.dumps`` leaves raw, so a terminal never acts on them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reconciler.render.escape import json_text


def render_json(plan: Mapping[str, Any]) -> str:
    text = json.dumps(plan, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return json_text(text) + "\n"
