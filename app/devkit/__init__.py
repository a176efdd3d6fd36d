"""The local development kit: a real Kafka fetched and run on this machine, and the demo. Only the CLI (and
tests and benchmarks) use it; production code never does."""
