"""MkDocs hooks: the tutorials' helper module (docs/_helpers/dfdocs.py) on the import path."""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
