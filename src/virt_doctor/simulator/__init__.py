"""A realistic simulated cluster dump (must-gather layout) with named faults injected, deterministic by seed."""
