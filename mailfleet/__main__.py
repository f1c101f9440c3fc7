"""`python -m mailfleet …`: the same CLI as the `mailfleet` script."""

import sys

from mailfleet.cli import main

sys.exit(main())
