"""Shared test setup. Qt runs offscreen; helper fixtures live in the test modules that use them."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
