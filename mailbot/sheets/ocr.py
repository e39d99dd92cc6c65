"""Pictures -> text, through the Tesseract program with its Vietnamese model.

A photo of the printed table, or a scanned page, is read by Tesseract
(`tesseract-ocr` and `tesseract-ocr-vie` on Debian), run as a program with a time
limit, the picture given on its standard input. Tesseract's TSV output gives each
word with its box: words on one line are its text, and where they stand in columns
(mailbot.sheets.ocr_table) they are a table, read like a sheet. Whatever is read this way is
marked `from_image`: a figure read from it always waits for a person to check it
against the picture. A photo taken on its side, upside down or askew is turned upright
first (mailbot.sheets.ocr_upright). Without Tesseract, pictures are not read (the log says what to
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

import numpy as np
from PIL import Image, UnidentifiedImageError

from mailbot.config import Limits
from mailbot.models import FILE_TOO_LARGE
from mailbot.sheets import ocr_table, ocr_upright
from mailbot.sheets.document import Document, Text
from mailbot.sheets.limits import HINT, SheetError, damaged

log = logging.getLogger(__name__)
LANGUAGE = "vie"
MAX_PIXELS = 40_000_000  # a page scanned at 600 dpi is about 35 million pixels
MAX_CLEANED_PIXELS = 16_000_000  # an A4 page at 400 dpi; drawn lines of larger pictures stay
DARK = 160  # grey levels below this are ink
INSTALL = "apt-get install tesseract-ocr tesseract-ocr-vie"
SHEET = "Ảnh"  # how a picture's table is named where a sheet's name would be


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


def read_image(name: str, data: bytes, limits: Limits, sheet: str = SHEET) -> Document:
    """What Tesseract reads in the picture; its table is named `sheet` where a workbook's sheet would be."""
    program = tesseract()
    if program is None:
        log.warning("picture %s not read: text recognition needs Tesseract with Vietnamese (%s)", name, INSTALL)
        return Document()
    _check_picture(data)
    try:
        done = subprocess.run(
            [program, "stdin", "stdout", "-l", LANGUAGE, "--psm", "6", "tsv"],
            input=prepared(data, program, limits),
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
    words = ocr_table.words_of(done.stdout.decode("utf-8", "replace"))
    rows = ocr_table.lines_of(words)
    lines = tuple(" ".join(word.text for word in row) for row in rows)
    table = ocr_table.table_of(rows, name, sheet, limits)
    return Document(
        tables=(table,) if table is not None else (),
        texts=(Text(name, lines, from_image=True),) if any(lines) else (),
        from_image=True,
    )


def prepared(data: bytes, program: str, limits: Limits) -> bytes:
    """The picture as Tesseract should see it: upright (mailbot.sheets.ocr_upright), without drawn lines.

    A picture too large to clean within the reader's memory is given as it came.
    """
    with Image.open(io.BytesIO(data)) as picture:
        if picture.width * picture.height > MAX_CLEANED_PIXELS:
            return data
        grey = ocr_upright.upright(picture, program, limits.read_timeout_seconds / 3, DARK)
    out = io.BytesIO()
    Image.fromarray(without_rules(np.asarray(grey))).save(out, format="PNG")
    return out.getvalue()


def without_rules(pixels: np.ndarray) -> np.ndarray:
    """The picture with the table's drawn lines whitened, so that Tesseract sees cells, not bars.

    A drawn line is a straight run of dark pixels longer than any letter is tall or
    wide (a twelfth of the picture's height or width).
    """
    dark = pixels < DARK
    rules = _runs(dark, max(dark.shape[0] // 12, 20)) | _runs(dark.T, max(dark.shape[1] // 12, 20)).T
    cleaned = pixels.copy()
    cleaned[rules] = 255
    return cleaned


def _runs(dark: np.ndarray, length: int) -> np.ndarray:
    """Where `dark` is part of a vertical run of at least `length` dark pixels."""
    rows = dark.shape[0]
    if rows <= length:
        return np.zeros_like(dark)
    total = np.zeros((rows + 1, dark.shape[1]), dtype=np.int32)
    np.cumsum(dark, axis=0, out=total[1:])
    starts = (total[length:] - total[:-length]) == length  # a full run starts at this row
    begun = np.zeros((starts.shape[0] + 1, dark.shape[1]), dtype=np.int32)
    np.cumsum(starts, axis=0, out=begun[1:])
    at = np.arange(rows)
    upper, lower = np.minimum(at + 1, starts.shape[0]), np.maximum(at - length + 1, 0)
    return (begun[upper] - begun[lower]) > 0


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
