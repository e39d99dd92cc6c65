"""A zip bomb expanding to over 1 GB is rejected from its central directory, in little memory."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import CORPUS

ROOT = Path(__file__).resolve().parents[2]


def test_zip_bomb_rejected_with_small_peak_memory():
    bomb = CORPUS / "zip_bomb.xlsx"
    script = textwrap.dedent(f"""
        import json, resource
        from pathlib import Path
        from mailbot.config import load_settings
        from mailbot.reading.message import read_path
        settings = load_settings({str(ROOT / "config" / "mailbot.toml")!r}, env={{}})
        reading = read_path(Path({str(bomb)!r}), settings)
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({{"reading": reading.to_json(), "peak_mib": peak_kib / 1024}}))
    """)
    # Linux hands a process the peak of the memory it was started from, so the
    # measuring process is started from a small launcher, not from pytest itself.
    launcher = (
        "import subprocess, sys; "
        f"done = subprocess.run([sys.executable, '-c', {script!r}], capture_output=True, text=True); "
        "sys.stdout.write(done.stdout); sys.stderr.write(done.stderr); sys.exit(done.returncode)"
    )
    done = subprocess.run([sys.executable, "-c", launcher], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert [p["code"] for p in result["reading"]["problems"]][0] == "file_too_large"
    assert result["reading"]["figures"] == {}
    assert result["peak_mib"] < 200, result["peak_mib"]


def test_the_bomb_really_expands_beyond_a_gigabyte():
    import zipfile

    with zipfile.ZipFile(CORPUS / "zip_bomb.xlsx") as archive:
        assert sum(info.file_size for info in archive.infolist()) > 1024**3
