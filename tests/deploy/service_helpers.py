"""Running the real `mailbot` command and service in tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "config" / "mailbot.toml"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_") and k != "STATE_DIRECTORY"}
    env.update(extra)
    return env


def mailbot(*args: str, env: dict[str, str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mailbot", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout
    )


def campaign_with(tmp_path: Path, **schedule: int) -> Path:
    """The shipped campaign with some [schedule] values changed."""
    lines = []
    for line in SHIPPED.read_text(encoding="utf-8").splitlines():
        key = line.split("=", 1)[0].strip()
        lines.append(f"{key} = {schedule[key]}" if key in schedule else line)
    path = tmp_path / "campaign.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_service(config: Path, env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen, Path]:
    log = cwd / "service.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "mailbot", "run", "--config", str(config)],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
        )
    return process, log


def stop_service(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)


def wait_until(condition, limit: float, what: str, log: Path | None = None):
    """Poll `condition` until it returns something true; fail after `limit` seconds, saying what was awaited."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.5)
    shown = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"not within {limit:.0f} s: {what}\n{shown}")
