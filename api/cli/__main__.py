"""``python -m api.cli``: the same ``tillit`` group as the console script."""

import sys

from api.cli import main

sys.exit(main())
