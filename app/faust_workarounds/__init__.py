"""Where psflow bends Faust (faust-streaming 0.15) and aiokafka, and why: the one home of every workaround.

Every use of a private Faust or aiokafka member and every monkeypatch lives in this package (ruff's SLF
rule fails lint anywhere else). Each entry names the Faust behaviour and the test that shows it:

- `transactions`: Faust's exactly_once sends outputs to topics it does not consume outside any transaction,
  may never commit a transactional send to a consumed topic from another partition, and commits on a
  timer, an ack counter, task errors and stop, in the middle of an agent's batch. psflow sends every
  output, forward and changelog record through the transactional producer of the partition of the record
  that caused it, commits only at a batch boundary (all partitions concurrently), holds Faust's rebalance
  back while a commit is in flight, and aborts a batch cut by a rebalance
  (tests/integration/worker/test_seed_scenario.py, the kill drill; tests/unit/runtime/test_transactions.py).
- `store`: per-partition reads, prefix scans and batch writes of a table's local store, and the persisted
  changelog offset Faust's exactly_once never records (it keys pending offsets by changelog partition and
  looks them up by source partition), so psflow logs and writes each batch's items itself.
- `recovery.ask_broker_for_changelog_ends`: under exactly_once Faust reads a changelog's highwater from the
  consumer's cached last stable offset, empty before the first fetch, and then restores nothing: ask the
  broker (tests/integration/worker/test_state_recovery.py fails without it).
- `scheduling.EventTimeScheduler`: Faust interleaves topics round robin; merge each fetch by record time, like
  Kafka Streams, so an amendment published before a time entry is applied first after a restart with a
  backlog (tests/integration/worker/test_seed_scenario.py, the restart drill).
- `side_producer.SideProducer`: the tick timer belongs to no partition's batch, so its ticks go through a
  plain idempotent producer (a repeated tick only sweeps again).
- `app_options.BENT_APP_OPTIONS`: `stream_wait_empty=False` (on stop and rebalance Faust clears its stream
  queues, then waits forever for the cleared records' acks), and no commits of Faust's own accord.
- `worker.without_spinner`: at WARNING and above Faust's terminal spinner sets the root logger to DEBUG, so
  every send builds a debug record (a tenth of a busy worker's time).
- `worker.discard_state_after_crash`: after an unclean stop the local stores may hold a batch whose
  transaction never committed; rebuild the tables from the changelogs (read committed).
- `worker.create_topic_before_start`: a topic Faust creates at start may be missing from the metadata when
  it subscribes, and Faust then ignores it until the next rebalance (no ticks, no parked-item sweep).
- `introspection.paused_partitions`, `introspection.recovery_completed`: what /health reports; Faust keeps
  the paused set private.

Table changelog topic names follow Faust's rule; they are declared once in `app.contracts.topology` and
tests/unit/contracts/test_topology.py checks Faust still names them so.
"""
