"""Seeded, deterministic hostile inputs: mutated corpus files and the crafted cases.

Mutations of every file of tests/reading/corpus: bytes flipped, the file cut short,
a slice of bytes repeated, and for mail a run of lines (a part) repeated. The same
seed always gives the same inputs.
"""

from __future__ import annotations

import io
import random
import subprocess
import sys
from pathlib import Path

from robust.hostile import CRAFTED, bad_from, fault, good, nested

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "reading" / "corpus"
SEED = 20200814
MEASURE = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], 'wb'))\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(done.returncode, peak)\n"
)


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.is_file() and p.suffix != ".json")


def mutate(data: bytes, rng: random.Random) -> bytes:
    kind = rng.choice(("flip", "flip", "truncate", "repeat", "lines"))
    if kind == "flip" or len(data) < 16:
        out = bytearray(data)
        for _ in range(rng.randint(1, 24)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out)
    if kind == "truncate":
        return data[: rng.randrange(1, len(data))]
    if kind == "repeat":
        start = rng.randrange(len(data))
        end = min(len(data), start + rng.randint(1, 4096))
        return data[:end] + data[start:end] * rng.randint(2, 50) + data[end:]
    lines = data.split(b"\n")
    start = rng.randrange(len(lines))
    end = min(len(lines), start + rng.randint(1, 40))
    return b"\n".join(lines[:end] + lines[start:end] * rng.randint(2, 20) + lines[end:])


def mutated(count: int, seed: int = SEED) -> list[tuple[str, bytes]]:
    """`count` mutations spread over the corpus, each named after its origin."""
    rng = random.Random(seed)
    files = corpus_files()
    made = []
    for number in range(count):
        origin = files[number % len(files)]
        made.append((f"{number:04d}-{origin.name}", mutate(origin.read_bytes(), rng)))
    return made


def crafted() -> list[tuple[str, bytes]]:
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "Số lượng cài đặt Bluezone"
    book.active["XFD1048576"] = 1
    far = io.BytesIO()
    book.save(far)
    long_subject = good().replace(b"Subject: ", b"Subject: " + b"A" * 200_000 + b" ", 1)
    huge_subject = good().replace(b"Subject: ", b"Subject: " + b"B" * 2_000_000 + b" ", 1)
    refs = b" ".join(b"<%d@spam.example>" % n for n in range(5000))
    references = good().replace(b"Subject: ", b"References: " + refs + b"\nSubject: ", 1)
    return [
        ("calamine_panic.xls", (CRAFTED / "calamine_panic.xls").read_bytes()),
        ("calamine_abort_alloc.xls", (CRAFTED / "calamine_abort_alloc.xls").read_bytes()),
        ("last_cell.xlsx", far.getvalue()),
        ("nested_2000.eml", nested(2000)),
        ("from_8bit.eml", bad_from(b"X \xff <vanphong.namsach\xe9@haiduong.gov.vn>")),
        ("from_nul.eml", bad_from(b"X <vanphong.namsach\x00@haiduong.gov.vn>")),
        ("markup_from.eml", bad_from(b"<[/x]@example.org>")),
        ("subject_200k.eml", long_subject),
        ("subject_2m.eml", huge_subject),
        ("references_5000.eml", references),
        ("panic_in_reader.eml", fault("panic")),
        ("segfault_in_reader.eml", fault("segfault")),
    ]


def measured(args: list[str], out: Path, env: dict, timeout: float = 1200) -> tuple[int, int]:
    """Run `args`, its standard output into `out`; (exit code, peak RSS in KiB of it and every process it waited for)."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(out), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    code, peak = done.stdout.split()
    return int(code), int(peak)


def largest_workbook(columns: int = 140) -> bytes:
    """A dense sheet just under the attachment limit: 10,000 rows of random counts (9.5 MB, 1.4 million cells)."""
    import xlsxwriter

    rng = random.Random(SEED)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True})
    sheet = book.add_worksheet("Bao cao")
    sheet.write(0, 0, "Đơn vị")
    sheet.write(0, 1, "Số lượng cài đặt Bluezone")
    for row in range(1, 10_000):
        sheet.write(row, 0, f"Xã {row}")
        for column in range(1, columns):
            sheet.write_number(row, column, rng.randrange(1_000_000))
    book.close()
    return buffer.getvalue()


def largest_mail(workbook: bytes) -> bytes:
    """A 21 MB report mail: that workbook and a 7 MB picture, under the 25 MiB message limit."""
    from email import message_from_bytes, policy

    from hostile import mail

    message = message_from_bytes(mail(attachment=workbook, name="bc.xlsx"), policy=policy.default)
    picture = b"\x89PNG\r\n\x1a\n" + random.Random(SEED).randbytes(7_000_000)
    message.add_attachment(picture, maintype="image", subtype="png", filename="anh.png")
    return message.as_bytes()
