"""Solution areas: the columns of every propensity report."""

AREAS: tuple[str, ...] = ("Azure", "M365", "Security", "Surface", "D365BC", "D365SP", "PowerApps")
