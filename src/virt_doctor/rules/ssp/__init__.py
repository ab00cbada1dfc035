"""SSP operator: common templates, the template validator, VM storage warnings."""
