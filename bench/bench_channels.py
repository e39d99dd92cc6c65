"""Cost per file of each channel: the reader of each format on the stored cases.

    .venv/bin/python bench/bench_channels.py [--rounds 20]

For each case of tests/channels/corpus, the attachment (or the mail's body) is read
by its format's reader in this process (read_document_here: the worker's work,
without the hand-over) and the whole mail through `read_path` (the worker
included); prints the median milliseconds of each and the reader's peak memory
growth. OCR cases need Tesseract.
"""

from __future__ import annotations

import argparse
import email
import resource
import statistics
import sys
import time
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailbot.config import load_settings  # noqa: E402
from mailbot.reading.documents import read_documents_here  # noqa: E402
from mailbot.reading.message import read_path  # noqa: E402
from mailbot.sheets import ocr  # noqa: E402

CORPUS = ROOT / "tests" / "channels" / "corpus"
CASES = [
    ("mail text", "text_sentence"),
    ("HTML table", "html_table_outlook"),
    ("docx", "docx_merged_cells"),
    ("pdf (text)", "pdf_table"),
    ("zip", "zip_xlsx"),
    ("7z", "seven_zip_xlsx"),
    ("winmail.dat", "winmail_dat"),
    ("image (OCR)", "image_png"),
    ("pdf (scan, OCR)", "pdf_scan"),
]


def attachment(path: Path) -> tuple[str, bytes] | None:
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    for part in message.iter_attachments():
        return part.get_filename(), part.get_payload(decode=True)
    return None


def median_ms(work, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    settings = load_settings(ROOT / "config" / "mailbot.toml", env={})
    limits, metrics = settings.limits, settings.campaign.metrics
    totals = settings.campaign.total_aliases
    print(f"{'format':18} {'size KB':>8} {'reader ms':>10} {'mail ms':>9} {'peak +MB':>9}")
    for label, case in CASES:
        if "OCR" in label and ocr.tesseract() is None:
            print(f"{label:18} (Tesseract not installed)")
            continue
        path = CORPUS / f"{case}.eml"
        found = attachment(path)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        reader = "–"
        size = path.stat().st_size
        if found:
            name, data = found
            size = len(data)
            reader = f"{median_ms(lambda n=name, d=data: read_documents_here(n, d, limits, metrics, totals, None), rounds):10.1f}"
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        whole = median_ms(lambda p=path: read_path(p, settings), rounds)
        print(f"{label:18} {size / 1024:8.1f} {reader:>10} {whole:9.1f} {grown:9.1f}")


if __name__ == "__main__":
    main()
