"""The runbook catalog: one data file per alert, loaded once, validated, frozen."""

from virt_doctor.catalog.catalog import CatalogEntry, load_catalog

__all__ = ["CatalogEntry", "load_catalog"]
