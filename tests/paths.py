"""Where things are, for tests in any folder."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the checkout: manage.py, bench/, docs/
DATA = ROOT / "tests" / "data"
