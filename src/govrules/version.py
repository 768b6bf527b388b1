"""The version of govrules (one place, read by the package, the verdicts and the compiled cache)."""

__version__ = "0.1.0"
