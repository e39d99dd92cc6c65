"""How long the reply policy's count of one address's answers takes on a store full of them.

    PYTHONPATH=TREE .venv/bin/python bench/reply_count.py STORE_URL [--addresses 200]

STORE_URL is a store after a benchmark poll (`bench/run.py --keep` keeps them), so
its outbox holds one answer per message; TREE chooses the mailbot that counts.
"""

import argparse
import time
from datetime import UTC, datetime, timedelta

from mailbot.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--addresses", type=int, default=200)
    args = parser.parse_args()
    store = Store.open(args.url)
    since = datetime.now(UTC) - timedelta(hours=24)
    queued = sum(store.outbox_counts().values())
    addresses = [f"vanphong.u{i:04d}@baocao-bench.gov.vn" for i in range(1, args.addresses + 1)]
    started = time.perf_counter()
    for address in addresses:
        store.replies_since(address, since)
    per_call = (time.perf_counter() - started) / len(addresses) * 1000
    print(f"Store.replies_since: {per_call:.2f} ms per call, {queued:,} mails in the outbox")


if __name__ == "__main__":
    main()
