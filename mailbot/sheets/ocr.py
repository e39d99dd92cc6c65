"""Pictures -> text, through the Tesseract program with its Vietnamese model.

A photo of the printed table, or a scanned page, is read by Tesseract
(`tesseract-ocr` and `tesseract-ocr-vie` on Debian), run as a program with a time
limit, the picture given on its standard input. Whatever is read this way is
marked `from_image`: a figure read from it always waits for a person to check it
against the picture. Without Tesseract, pictures are not read (the log says what to
install) and the mail is answered as if they were not there. Pillow checks the
picture's size before Tesseract sees it, so a small file that would open into an
enormous picture is refused.
"""

from __future__ import annotations

import functools
import io
import logging
import shutil
import subprocess

from PIL import Image, UnidentifiedImageError

from mailbot.config import Limits
from mailbot.models import FILE_TOO_LARGE
from mailbot.sheets.document import Document, Text
from mailbot.sheets.limits import HINT, SheetError, damaged

log = logging.getLogger(__name__)
LANGUAGE = "vie"
MAX_PIXELS = 40_000_000  # a page scanned at 600 dpi is about 35 million pixels
INSTALL = "apt-get install tesseract-ocr tesseract-ocr-vie"


@functools.cache
def tesseract() -> str | None:
    """The path of a Tesseract that has the Vietnamese model, or None."""
    program = shutil.which("tesseract")
    if program is None:
        return None
    try:
        listed = subprocess.run([program, "--list-langs"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return program if LANGUAGE in listed.stdout.split() else None


def read_image(name: str, data: bytes, limits: Limits) -> Document:
    program = tesseract()
    if program is None:
        log.warning("picture %s not read: text recognition needs Tesseract with Vietnamese (%s)", name, INSTALL)
        return Document()
    _check_picture(data)
    try:
        done = subprocess.run(
            [program, "stdin", "stdout", "-l", LANGUAGE, "--psm", "6"],
            input=data,
            capture_output=True,
            timeout=limits.read_timeout_seconds,
        )
    except subprocess.TimeoutExpired:
        raise SheetError(
            FILE_TOO_LARGE,
            "slow",
            f"reading it took longer than {limits.read_timeout_seconds:g} seconds",
            HINT,
            seconds=f"{limits.read_timeout_seconds:g}",
        ) from None
    if done.returncode != 0:
        raise damaged(done.stderr.decode("utf-8", "replace") or "tesseract failed")
    lines = tuple(line for line in done.stdout.decode("utf-8", "replace").splitlines())
    return Document(texts=(Text(name, lines, from_image=True),) if any(lines) else (), from_image=True)


def _check_picture(data: bytes) -> None:
    try:
        with Image.open(io.BytesIO(data)) as picture:
            width, height = picture.size
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise damaged(exc) from None
    except Image.DecompressionBombError:
        width, height = MAX_PIXELS, 2
    if width * height > MAX_PIXELS:
        raise SheetError(
            FILE_TOO_LARGE,
            "pixels",
            f"the picture is {width} x {height} pixels, above the limit of {MAX_PIXELS} pixels",
            HINT,
            width=width,
            height=height,
            limit=MAX_PIXELS,
        )
