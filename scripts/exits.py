"""Exit codes shared by every subcommand."""

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_NOT_FOUND = 3
EXIT_STORAGE = 4
EXIT_ADDRESS_IN_USE = 5  # `serve`: the address and port are taken by another program
EXIT_INTERRUPTED = 130
