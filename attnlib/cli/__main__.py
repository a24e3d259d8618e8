"""``python -m attnlib.cli``: the ``attnlib`` command without the console script."""

import sys

from attnlib.cli.entry import main

sys.exit(main())
