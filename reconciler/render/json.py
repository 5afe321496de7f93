"""The JSON view: the plan's dict form, keys sorted, secrets only as "(sensitive)"."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def render_json(plan: Mapping[str, Any]) -> str:
    return json.dumps(plan, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
