"""Start or stop a harness mail server from the shell, e.g. for benchmarks.

    python -m tests.harness.mail_cli up --domains 60 --per-domain 20 --dir /tmp/mail
    python -m tests.harness.mail_cli down --dir /tmp/mail

``up`` prints one JSON object (host, ports, CA file, users) and leaves the daemons running.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from tests.harness.mailserver import MailServer, shutdown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.harness.mail_cli", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start Postfix + Dovecot and print their ports as JSON")
    up.add_argument("--dir", type=Path, required=True, help="base directory (created if missing)")
    up.add_argument("--domains", type=int, default=2, help="number of virtual domains d01.test, d02.test, ...")
    up.add_argument("--per-domain", type=int, default=5, help="mailboxes per domain: user1@, user2@, ...")
    up.add_argument("--password", default="pw", help="password of every mailbox")
    down = commands.add_parser("down", help="stop the servers started in --dir and delete their mailboxes")
    down.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args(argv)

    if args.command == "down":
        shutdown(args.dir)
        return 0
    server = MailServer(
        args.dir,
        domains=[f"d{n:02d}.test" for n in range(1, args.domains + 1)],
        users_per_domain=args.per_domain,
        password=args.password,
    ).start()
    info = {
        "host": server.host,
        "ports": asdict(server.ports),
        "cafile": str(server.cafile),
        "base_dir": str(server.base_dir),
        "logs": [str(path) for path in server.log_files],
        "domains": server.domains,
        "users": server.users,
    }
    json.dump(info, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
