"""Fleet-scale benchmark of securenexus.provisioning (see docs/performance.md)."""
