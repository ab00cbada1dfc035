"""The exception tree, caught once at the CLI edge (and by the service at its own).

    VirtDoctorError                     anything virt-doctor raises on purpose
    ├── InputError                      bad user input: exit 2, one line on stderr
    │   ├── SourceError                 a dump or URL that cannot be read at all
    │   ├── TimeFormatError             an --at value or timestamp that is not a time
    │   ├── UnknownAlertError           an alert name not in the catalog
    │   ├── PrometheusConfigError       --prometheus options that are wrong (sources/prometheus.py)
    │   └── ReportFormatError           a report's JSON that breaks the contract (report/model.py)
    ├── CatalogError                    a catalog data file that breaks the schema (a bug, not user input)
    ├── ApiError                        the API server refused or failed a request (sources/live/client.py)
    │   ├── Forbidden                   401/403
    │   ├── NotFound                    404
    │   ├── Conflict                    409
    │   ├── Gone                        410: an expired continue token or resourceVersion
    │   └── Unavailable                 no good answer after the retries
    ├── PrometheusError                 Prometheus could not answer (sources/prometheus.py)
    ├── StoreError                      the incident store cannot be opened or migrated (store/database.py)
    ├── StoreUnavailable                the store went away while the service ran: 503 (serve/service.py)
    ├── NotReadYet                      an assistant asked serve's /mcp before its first evaluation (serve/assist.py)
    └── PayloadError                    an Alertmanager notification that is not its v4 shape (serve/alertmanager.py)

Verdicts that never leave the module that raises them (each turned into a warning, a skip or a coverage
line where it is caught): CannotEvaluate (rules), TooLarge and Truncated (sources/dump.py), NotPrometheusAPI
(sources/monitoring.py), YAMLParseError (sources/yamlparse.py), NotAList (sources/live/list_body.py: an ApiError
naming the request where the client catches it).

A kind missing from a dump, or forbidden in a live cluster, is not an error: it
becomes a `coverage` entry in the report.
"""

from __future__ import annotations


class VirtDoctorError(Exception):
    """Base of every deliberate virt-doctor error."""


class InputError(VirtDoctorError):
    """The user gave something we cannot work with; the message names it."""


class SourceError(InputError):
    """A dump path, archive or URL that cannot be read at all."""


class TimeFormatError(InputError):
    """A value that should be a time and is not."""


class UnknownAlertError(InputError):
    """An alert name that is not in the catalog."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown alert {name!r}{hint} (see 'virt-doctor list')")
        self.name = name
        self.suggestions = suggestions


class CatalogError(VirtDoctorError):
    """A catalog entry that breaks the schema."""
