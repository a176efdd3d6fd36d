"""The worker runtime's interfaces: settings, the Runtime agents are handed, metrics, periods, topic admin."""
