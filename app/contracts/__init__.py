"""The contracts of every topic: Avro subjects and their codec, the topic catalog, the topology, the gate.

Imports only `domain`: producers, consumers, the worker, replay and the schema gate all read the same facts.
"""
