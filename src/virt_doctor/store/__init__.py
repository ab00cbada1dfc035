"""The incident store: incidents, their diagnoses over time, and the Alertmanager notifications received."""
