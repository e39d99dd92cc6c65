"""Reading benchmark: mailbot's reading of a typical district workbook against a raw
python-calamine open of the same bytes, in the same run.

    .venv/bin/python bench/bench_reading.py [--rounds 200]

Prints the median time of each and the median of the per-round ratios;
`measure(rounds)` returns them (bench/run.py imports it).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import python_calamine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailbot.config import load_settings  # noqa: E402
from mailbot.reading.message import read_spreadsheet  # noqa: E402
from mailbot.samples import district_workbook  # noqa: E402


def raw_calamine(data: bytes) -> list:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return [book.get_sheet_by_name(name).to_python() for name in book.sheet_names]


def timed(work, *args) -> float:
    start = time.perf_counter()
    work(*args)
    return time.perf_counter() - start


def measure(rounds: int = 200) -> dict:
    """Medians over `rounds` of mailbot's read_spreadsheet and a raw calamine open of the same workbook.

    Returns {"ratio", "mailbot_ms", "calamine_ms", "rounds", "bytes", "output"}; "output" is
    the text main() prints.
    """
    settings = load_settings(ROOT / "config" / "mailbot.toml", env={})
    label = settings.campaign.metrics[0].label
    data = district_workbook("Huyện Nam Sách", 17356, date(2020, 8, 14), label, communes=19)
    reading = read_spreadsheet("BC_Bluezone_NamSach.xlsx", data, settings)
    assert reading.figures == {"installs": 17356}, reading.to_json()
    for _ in range(10):  # warm up both paths
        raw_calamine(data)
        read_spreadsheet("BC_Bluezone_NamSach.xlsx", data, settings)
    raw_times, mailbot_times, ratios = [], [], []
    for _ in range(rounds):
        raw = timed(raw_calamine, data)
        ours = timed(read_spreadsheet, "BC_Bluezone_NamSach.xlsx", data, settings)
        raw_times.append(raw)
        mailbot_times.append(ours)
        ratios.append(ours / raw)
    figures = {
        "ratio": statistics.median(ratios),
        "mailbot_ms": statistics.median(mailbot_times) * 1e3,
        "calamine_ms": statistics.median(raw_times) * 1e3,
        "rounds": rounds,
        "bytes": len(data),
    }
    figures["output"] = "\n".join(
        [
            f"workbook: {len(data)} bytes, 1 sheet, 19 communes + total row; {rounds} rounds",
            f"raw python-calamine open + to_python: median {figures['calamine_ms']:.3f} ms",
            f"mailbot read_spreadsheet:             median {figures['mailbot_ms']:.3f} ms",
            f"median ratio mailbot / calamine:      {figures['ratio']:.2f}x",
        ]
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    print(measure(args.rounds)["output"])


if __name__ == "__main__":
    main()
