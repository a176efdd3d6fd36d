"""psflow's application rooms: contracts, runtime, Faust workarounds, worker assembly, CLI, devkit."""
