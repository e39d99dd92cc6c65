"""Fuzzing: a few hundred mutated corpus files and the crafted cases, through `parse` and a real poll.

Every input gets exactly one answer, nothing crashes or hangs, and memory stays
bounded: the peak resident size of the command and of every worker it waited for
stays under 256 MiB. The counts and the peaks are printed (pytest -s) for the record.
"""

import json
import sys
from datetime import timedelta

from robust.fuzz import crafted, largest_mail, largest_workbook, measured, mutated
from robust.hostile import environment, now, submissions

from mailbot.reading.message import looks_like_mail  # noqa: E402

PARSE_INPUTS = 300
MEMORY_LIMIT_KIB = 256 * 1024


def test_parse_answers_every_mutated_and_crafted_input_once_within_memory(tmp_path):
    inputs = mutated(PARSE_INPUTS) + crafted()
    folder = tmp_path / "inputs"
    folder.mkdir()
    paths = []
    for name, data in inputs:
        path = folder / name
        path.write_bytes(data)
        paths.append(str(path))
    env = environment(tmp_path, f"maildir://{tmp_path / 'inbox'}")
    out = tmp_path / "parse.jsonl"
    code, peak = measured([sys.executable, "-m", "mailbot", "parse", "--json", *paths], out, env)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert code == 0
    assert [line["path"] for line in lines] == paths  # one line per input, in order
    statuses = {s: sum(1 for line in lines if line["status"] == s) for s in ("accepted", "needs_review", "rejected")}
    print(f"\nparse: {len(paths)} inputs, {statuses}, peak RSS {peak / 1024:.0f} MiB")
    assert sum(statuses.values()) == len(paths)
    assert peak < MEMORY_LIMIT_KIB


def test_a_real_poll_stores_every_mutated_and_crafted_mail_once_within_memory(tmp_path, imap_account, smtp_server):
    mails = [raw for _, raw in mutated(PARSE_INPUTS) + crafted() if looks_like_mail(raw)]
    start = now() - timedelta(hours=3)
    distinct = set()
    for number, raw in enumerate(mails):
        imap_account.append(raw, start + timedelta(seconds=number))
        distinct.add(raw.replace(b"\r\n", b"\n"))
    env = environment(tmp_path, imap_account.url(), MAILBOT_SMTP_URL=smtp_server.url)
    out = tmp_path / "poll.txt"
    code, peak = measured([sys.executable, "-m", "mailbot", "poll", "--once"], out, env)
    stored = submissions(tmp_path)
    statuses = {s: sum(1 for row in stored if row[2] == s) for s in ("accepted", "needs_review", "rejected")}
    print(f"\npoll: {len(mails)} mails, {len(stored)} stored, {statuses}, peak RSS {peak / 1024:.0f} MiB")
    assert code == 0, out.read_text(encoding="utf-8")[-3000:]
    assert len(stored) == len(distinct)  # one submission per distinct message: byte-identical copies are one
    assert all(len(m.data) < 64 * 1024 for m in smtp_server.messages)  # no reply grows with the sender's input
    assert peak < MEMORY_LIMIT_KIB


def test_the_largest_inputs_within_the_default_limits_stay_under_256_mib(tmp_path, imap_account, smtp_server):
    workbook = largest_workbook()
    raw = largest_mail(workbook)
    (tmp_path / "bc.xlsx").write_bytes(workbook)
    (tmp_path / "big.eml").write_bytes(raw)
    env = environment(tmp_path, imap_account.url(), shipped=True, MAILBOT_SMTP_URL=smtp_server.url)
    for name in ("bc.xlsx", "big.eml"):
        out = tmp_path / f"{name}.json"
        code, peak = measured([sys.executable, "-m", "mailbot", "parse", "--json", str(tmp_path / name)], out, env)
        [line] = [json.loads(text) for text in out.read_text(encoding="utf-8").splitlines()]
        print(
            f"\nparse {name} ({len(raw if name.endswith('eml') else workbook) / 2**20:.1f} MiB): peak {peak / 1024:.0f} MiB"
        )
        assert code == 0 and line["figures"]  # read, not refused
        assert peak < MEMORY_LIMIT_KIB
    imap_account.append(raw, now())
    code, peak = measured([sys.executable, "-m", "mailbot", "poll", "--once"], tmp_path / "poll.txt", env)
    print(f"poll of the {len(raw) / 2**20:.1f} MiB mail: peak {peak / 1024:.0f} MiB")
    assert code == 0 and len(submissions(tmp_path)) == 1
    assert peak < MEMORY_LIMIT_KIB


def test_a_50_mb_subject_is_refused_within_memory(tmp_path, imap_account, smtp_server):
    from hostile import good

    raw = good().replace(b"Subject: ", b"Subject: " + b"C" * 50_000_000 + b" ", 1)
    imap_account.append(raw, now())
    (tmp_path / "big.eml").write_bytes(raw)
    env = environment(tmp_path, imap_account.url(), shipped=True, MAILBOT_SMTP_URL=smtp_server.url)
    code, peak = measured(
        [sys.executable, "-m", "mailbot", "parse", "--json", str(tmp_path / "big.eml")], tmp_path / "p", env
    )
    [line] = [json.loads(text) for text in (tmp_path / "p").read_text(encoding="utf-8").splitlines()]
    print(f"\nparse of a 50 MB Subject: {line['problems'][0]['code']}, peak {peak / 1024:.0f} MiB")
    assert code == 0 and line["status"] == "rejected" and peak < MEMORY_LIMIT_KIB
    code, peak = measured([sys.executable, "-m", "mailbot", "poll", "--once"], tmp_path / "poll.txt", env)
    [stored] = submissions(tmp_path)
    print(f"poll of a 50 MB Subject: {stored[3]}, peak {peak / 1024:.0f} MiB")
    assert code == 0 and stored[2] == "rejected" and peak < MEMORY_LIMIT_KIB
