"""`python -m local` (make run): start the local runtime and print how to use it."""

from __future__ import annotations

import argparse
import signal
import sys
import threading


def main() -> None:
    parser = argparse.ArgumentParser(description="Run ふるさと住民登録 locally (moto as AWS, local API gateway).")
    parser.add_argument("--port", type=int, default=3000, help="gateway port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--admin-port", type=int, default=None, help="admin gateway port (default: --port + 1)")
    parser.add_argument("--moto-port", type=int, default=0, help="moto server port (default: any free port)")
    args = parser.parse_args()

    from local.runtime import LocalRuntime, walkthrough

    runtime = LocalRuntime(port=args.port, admin_port=args.admin_port, moto_port=args.moto_port, mail_to_terminal=True)
    try:
        runtime.start()
    except OSError as error:
        sys.exit(f"cannot start: {error} (is port {args.port} taken? try: make run PORT=3001)")
    print(walkthrough(runtime.base_url, runtime.admin_url), flush=True)
    print(
        f"READY {runtime.base_url} admin={runtime.admin_url} moto=http://127.0.0.1:{runtime.moto_port} (Ctrl-C stops)",
        flush=True,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    runtime.stop()


if __name__ == "__main__":
    main()
