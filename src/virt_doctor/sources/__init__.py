"""Where cluster state comes from: dumps (dir/tar/zip, must-gather layout), later the live API and Prometheus."""
