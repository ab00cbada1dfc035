"""CDI: the Containerized Data Importer and its storage alerts."""
