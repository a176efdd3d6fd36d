"""The worker: the one place that assembles agents, tables and views into a running Faust worker."""
