"""`python -m rnnviz ...`: see `rnnviz.cli`."""

import sys

from rnnviz.cli import main

sys.exit(main())
