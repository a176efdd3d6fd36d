"""`python -m app.cli ...`: how workers are started as subprocesses (demo, tests, benchmarks)."""

import sys

from app.cli import main

sys.exit(main())
