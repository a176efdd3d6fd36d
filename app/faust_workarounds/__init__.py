"""Where psflow bends Faust (faust-streaming 0.15) and aiokafka, and why: the one home of every workaround.

Every use of a private Faust or aiokafka member and every monkeypatch lives in this package (ruff's SLF
rule fails lint anywhere else). Each entry names the Faust behaviour and the test that shows it:

- `recovery.ask_broker_for_changelog_ends`: under exactly_once Faust reads a changelog's highwater from the
  consumer's cached last stable offset, empty before the first fetch, and then restores nothing: ask the
  broker (tests/integration/worker/test_state_recovery.py fails without it).
- `scheduling.EventTimeScheduler`: Faust interleaves topics round robin; merge each fetch by record time, like
  Kafka Streams, so an amendment published before a time entry is applied first after a restart with a
  backlog (tests/integration/worker/test_seed_scenario.py, the restart drill).
- `side_producer.SideProducer`: Faust picks the transactional producer of a send by its destination
  partition, so a send to a topic the app also consumes (repartitions, ticks) from another partition may
  never commit; such sends go through a plain idempotent producer (tests/integration/worker/test_forecast.py).
- `changelog.writing_for`: Faust logs a table write to the partition of the *current event*, a context
  variable it offers no setter for; a batch saved after its loop names the event behind each write.
- `changelog.changelogs_sent`: Faust's exactly_once commit does not drain its producer buffer, so writes
  still queued at commit join the next transaction; drain it before a batch is acked (the kill drill of
  tests/integration/worker/test_seed_scenario.py caught a lost entry state).
- `app_options.BENT_APP_OPTIONS`: `stream_wait_empty=False`: on stop and rebalance Faust clears its stream
  queues, then waits forever for the cleared records' acks; records not committed are simply read again.
- `worker.without_spinner`: at WARNING and above Faust's terminal spinner sets the root logger to DEBUG, so
  every send builds a debug record (a tenth of a busy worker's time).
- `worker.discard_state_after_crash`: a killed worker's RocksDB may hold writes whose changelog transaction
  Kafka aborted; rebuild the tables from the changelogs (read committed) after an unclean stop.
- `worker.create_topic_before_start`: a topic Faust creates at start may be missing from the metadata when
  it subscribes, and Faust then ignores it until the next rebalance (no ticks, no parked-item sweep).
- `introspection.paused_partitions`, `introspection.recovery_completed`: what /health reports; Faust keeps
  the paused set private.

Table changelog topic names follow Faust's rule; they are declared once in `app.contracts.topology` and
tests/unit/contracts/test_topology.py checks Faust still names them so.
"""
