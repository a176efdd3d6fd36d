"""Table declarations and their typed accessors (names and partitions come from app.contracts.topology)."""
