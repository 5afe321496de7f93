"""The benchmark's pure parts (bounds and floors) are tested here; ``bench/`` sits beside
``reconciler/`` at the repository root, which is put on the path for it."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
