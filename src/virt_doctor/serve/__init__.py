"""`virt-doctor serve`: a view of the cluster kept fresh, Alertmanager's webhook, the incident store, a dashboard."""
