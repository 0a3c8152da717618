"""Names of the generated fleet, shared by the inventory writer and the HTTP-only drift reader.

Kept free of heavy imports: benchmarks.drift_reads measures a bare Python process.
"""

ALIASES = ("support", "info", "financial", "sales", "accounts")


def client_names(size):
    return [f"c{index:04d}" for index in range(1, size + 1)]


def client_domain(name):
    return f"fleet-{name}.com"
