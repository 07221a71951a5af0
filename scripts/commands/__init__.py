"""One module per subcommand; each has NAME, HELP, configure(parser) and main(args) -> int.

Modules import heavy dependencies (the model, httpx, the web server) inside main(), so that
`ascent --help` stays instant.
"""

from __future__ import annotations

from types import ModuleType

from scripts.commands import (
    audit,
    classify,
    crawl,
    demo,
    explain,
    export,
    extract,
    fixture_web,
    import_csv,
    match,
    monthly,
    report,
    run,
    serve,
    settings,
    sources,
    users,
    validate,
)

COMMANDS: list[ModuleType] = [
    import_csv,
    crawl,
    classify,
    sources,
    monthly,
    export,
    match,
    report,
    explain,
    extract,
    validate,
    serve,
    users,
    audit,
    run,
    demo,
    fixture_web,
    settings,
]
