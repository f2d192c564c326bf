"""`python -m qa ...`: see qa.cli."""

import sys

from .cli import main

sys.exit(main())
