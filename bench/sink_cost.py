"""What the benchmarks' SMTP sink costs per mail, with its two ways of finding what a mail answers.

    .venv/bin/python bench/sink_cost.py [--n 1000] [--rounds 3]

The sink (bench/servers.py) runs in the benchmark's own process, on the cores the poll
uses, and every acknowledgement of a poll waits for its reply. For each mail it notes
the message id the mail answers (In-Reply-To). This sends N acknowledgements as a poll
writes them (mailbot.compose over the bench campaign's readings) to a sink in a process
of its own, once finding In-Reply-To with one regular expression (servers.in_reply_to_of,
what the sink does) and once taking the header block apart with the email package's
modern policy (what it did before), in alternating order, and prints the sink's CPU
per mail (user + system) for each: the median over the rounds.
"""

from __future__ import annotations

import argparse
import smtplib
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailbot.smtp import send_pipelined  # noqa: E402

SINK = """
import resource, sys
from email import message_from_bytes, policy
sys.path.insert(0, sys.argv[1])
from bench import servers

if sys.argv[2] == "email-package":
    def parsed(raw):
        headers = message_from_bytes(raw.split(b"\\r\\n\\r\\n", 1)[0] + b"\\r\\n\\r\\n", policy=policy.default)
        return str(headers.get("In-Reply-To", "")).strip()
    servers.in_reply_to_of = parsed

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

with servers.SmtpSink() as sink:
    print(sink.controller.port, flush=True)
    sys.stdin.readline()
    print(cpu(), flush=True)
    sys.stdin.readline()
    print(cpu(), sink.handler.count(), flush=True)
"""
WAYS = ("regular expression", "email-package")
SENDER = "baocao@bench.example"


def acknowledgements(n: int) -> list[tuple[str, list[str], bytes]]:
    """N acknowledgements of the bench campaign's report mails, as a poll composes them."""
    import tempfile

    from bench import campaign

    work = Path(tempfile.mkdtemp(prefix="sink-cost-"))
    return [(SENDER, list(ack.recipients), ack.raw) for ack in campaign.acknowledgements(n, work)]


def sink_cpu_per_mail(way: str, mails: list[tuple[str, list[str], bytes]]) -> float:
    sink = subprocess.Popen(
        [sys.executable, "-c", SINK, str(ROOT), way], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert sink.stdin is not None and sink.stdout is not None
    port = int(sink.stdout.readline())
    connection = smtplib.SMTP("127.0.0.1", port)
    connection.ehlo()
    sink.stdin.write("\n")
    sink.stdin.flush()
    before = float(sink.stdout.readline())
    for sender, recipients, raw in mails:
        send_pipelined(connection, sender, recipients, raw)
    connection.quit()
    sink.stdin.write("\n")
    sink.stdin.flush()
    after, count = sink.stdout.readline().split()
    sink.communicate("")
    if int(count) != len(mails):
        raise RuntimeError(f"the sink took {count} of {len(mails)} mails")
    return (float(after) - before) * 1000 / len(mails)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    mails = acknowledgements(args.n)
    times: dict[str, list[float]] = {way: [] for way in WAYS}
    for round_ in range(args.rounds):
        for way in WAYS if round_ % 2 == 0 else reversed(WAYS):
            times[way].append(sink_cpu_per_mail(way, mails))
    new, old = (statistics.median(times[way]) for way in WAYS)
    print(f"{len(mails)} acknowledgements a round, median of {args.rounds} rounds, sink in its own process")
    print("| In-Reply-To found by | sink CPU per mail |")
    print("|---|---|")
    print(f"| one regular expression (the sink now) | {new:.3f} ms |")
    print(f"| the email package's modern policy (before) | {old:.3f} ms |")
    print(f"ratio {new / old:.2f}")


if __name__ == "__main__":
    main()
