"""Router overhead benchmark: ``python -m bench.router`` (see README.md)."""
