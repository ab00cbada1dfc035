"""Rules: one module per alert, in family packages; each a pure function of the Snapshot."""
