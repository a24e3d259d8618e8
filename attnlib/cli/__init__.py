"""The ``attnlib`` command: complexity counts, latency runs, trainings and notebook runs from the shell.

One module per subcommand, its parser (``add``) beside its body (``run``); :mod:`attnlib.cli.entry`
builds the parser from theirs and dispatches. Every numeric option is validated where it is parsed
(one line naming the option and the accepted values); library errors (missing data, a refused resume,
an unknown name) end the command with one ``attnlib: error: …`` line and exit status 2, never a
traceback. Only the bodies import the library's heavy parts (torch, pandas), so ``--help`` and
argument errors answer at once.
"""

from attnlib.cli.entry import build_parser, main

__all__ = ["build_parser", "main"]
