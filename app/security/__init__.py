"""Who psflow is to Kafka and who an operator is to psflow: the Kafka security settings, the one factory of
every Kafka client, the access check a process runs before it starts, and operators with their roles.

Below the runtime and above the contracts, with no Faust import, so replay may use it as well as the worker.
"""
