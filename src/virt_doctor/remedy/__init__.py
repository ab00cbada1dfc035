"""Remediation carried out: a finding's actions planned, previewed by server-side dry run, guarded, applied with
optimistic concurrency, audited and verified (`virt-doctor fix`)."""
