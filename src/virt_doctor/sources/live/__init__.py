"""The live source: a cluster read through its API server, read-only, one paginated LIST per kind."""
