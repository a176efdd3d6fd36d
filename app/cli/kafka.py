"""`psflow kafka up | down | status`: the developer's local broker (KRaft, single node)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.devkit import compose_secrets, dev_broker
from app.devkit.local_kafka import DEFAULT_PORT


def add_commands(subparsers: Any) -> None:
    """Register `psflow kafka up | down | status`."""
    kafka = subparsers.add_parser("kafka", help="run the local Kafka broker (KRaft, single node)")
    commands = kafka.add_subparsers(dest="kafka_command", required=True)

    up = commands.add_parser("up", help="start the local broker if it is not running; print its bootstrap")
    up.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"client port (default {DEFAULT_PORT} if free, 0 = any free port)",
    )
    up.add_argument("--heap-mb", type=int, default=512, help="broker JVM heap in MB (default 512)")
    up.add_argument("--timeout", type=float, default=120, help="seconds to wait for the broker (default 120)")
    up.add_argument(
        "--secure",
        action="store_true",
        help="SASL_SSL (SCRAM-SHA-512 over mutual TLS) with ACLs; psflow commands pick its settings up",
    )
    up.set_defaults(func=lambda args: dev_broker.up(args.port, args.heap_mb, args.timeout, args.secure))

    down = commands.add_parser("down", help="stop the local broker (its topics are kept)")
    down.add_argument("--timeout", type=float, default=30, help="seconds before SIGKILL (default 30)")
    down.set_defaults(func=lambda args: dev_broker.down(args.timeout))

    made = commands.add_parser("secrets", help="make the files docker-compose.secure.yml mounts (CA, users)")
    made.add_argument("folder", type=Path, nargs="?", default=Path("secrets"), help="default ./secrets")
    made.add_argument("--host", default="kafka", help="the broker's name in its certificate (default kafka)")
    made.set_defaults(func=lambda args: _secrets(args.folder, args.host))

    status = commands.add_parser("status", help="print the local broker's bootstrap; exit 1 if not running")
    status.set_defaults(func=lambda args: dev_broker.status())


def _secrets(folder: Path, host: str) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    written = compose_secrets.write(folder, host)
    # Names only: the files hold passwords and a token, which are never printed.
    print(f"wrote {len(written)} files to {folder}: {', '.join(p.name for p in written)}")
    return 0
