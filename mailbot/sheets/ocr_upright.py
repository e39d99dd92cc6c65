"""Pictures turned upright before Tesseract reads them.

A phone photo of a report is seldom square to the page: the camera may store it on
its side with an EXIF orientation tag, the officer may have held the page sideways or
upside down, and a page laid on a desk is a few degrees askew. Tesseract reads any of
these as noise. Three steps, cheapest first:

- the EXIF orientation (Pillow's `ImageOps.exif_transpose`);
- a quarter or half turn, as Tesseract's own orientation detection (`--psm 0`, the
  `osd` model installed with Tesseract) says, where it is confident;
- a small angle (up to `MAX_SKEW` degrees): the angle at which the rows of ink are
  sharpest, i.e. the row sums of the inked pixels vary most from one row to the next
  (the projection-profile method; the table's rules and lines of text both count).

Pictures too large to clean (`MAX_CLEANED_PIXELS` of mailbot.sheets.ocr) are read as
they came.
"""

from __future__ import annotations

import io
import logging
import re
import subprocess

import numpy as np
from PIL import Image, ImageOps

log = logging.getLogger(__name__)

MAX_SKEW = 10.0  # degrees; a page askew by more is a photo to retake
COARSE_STEP = 0.5
FINE_STEP = 0.1
LEAST_SKEW = 0.2  # degrees; below this the picture is left as it is
ESTIMATE_WIDTH = 1000  # the skew is estimated on a copy this wide at most
ORIENTATION_CONFIDENCE = 2.0  # Tesseract's confidence below which a turn is not trusted
ROTATE_RE = re.compile(r"^Rotate:\s*(\d+)", re.MULTILINE)
CONFIDENCE_RE = re.compile(r"^Orientation confidence:\s*([\d.]+)", re.MULTILINE)


def upright(picture: Image.Image, program: str, timeout: float, dark: int) -> Image.Image:
    """`picture` in grey levels, turned as its EXIF tag, its orientation and its skew say."""
    grey = ImageOps.exif_transpose(picture).convert("L")
    quarter = quarter_turns(grey, program, timeout)
    if quarter:
        grey = grey.rotate(-quarter, expand=True)
    angle = skew(np.asarray(grey), dark)
    if abs(angle) < LEAST_SKEW:
        return grey
    log.info("picture turned by %.1f degrees before reading", angle)
    return grey.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def quarter_turns(grey: Image.Image, program: str, timeout: float) -> int:
    """How many degrees clockwise (0, 90, 180, 270) Tesseract says the picture needs; 0 where unsure."""
    try:
        done = subprocess.run(
            [program, "stdin", "stdout", "--psm", "0"], input=_png(grey), capture_output=True, timeout=timeout
        )
    except (OSError, subprocess.SubprocessError):
        return 0
    said = done.stdout.decode("utf-8", "replace")
    turn, confidence = ROTATE_RE.search(said), CONFIDENCE_RE.search(said)
    if done.returncode != 0 or turn is None or confidence is None:
        return 0  # too little text to tell, or no orientation model: read as it came
    if float(confidence.group(1)) < ORIENTATION_CONFIDENCE:
        return 0
    degrees = int(turn.group(1))
    return degrees if degrees in (90, 180, 270) else 0


def skew(pixels: np.ndarray, dark: int) -> float:
    """The angle (degrees, counter-clockwise) that sets the picture's rows of ink level."""
    ink = Image.fromarray(((pixels < dark) * 255).astype(np.uint8))
    if ink.width > ESTIMATE_WIDTH:
        ink = ink.resize((ESTIMATE_WIDTH, max(1, ink.height * ESTIMATE_WIDTH // ink.width)))
    coarse = _sharpest(ink, np.arange(-MAX_SKEW, MAX_SKEW + COARSE_STEP / 2, COARSE_STEP))
    return _sharpest(ink, np.arange(coarse - COARSE_STEP, coarse + COARSE_STEP + FINE_STEP / 2, FINE_STEP))


def _sharpest(ink: Image.Image, angles: np.ndarray) -> float:
    scores = [_sharpness(ink, float(angle)) for angle in angles]
    return round(float(angles[int(np.argmax(scores))]), 1)


def _sharpness(ink: Image.Image, angle: float) -> float:
    rows = np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST)).sum(axis=1, dtype=np.int64)
    return float(np.square(np.diff(rows)).sum())


def _png(grey: Image.Image) -> bytes:
    out = io.BytesIO()
    grey.save(out, format="PNG")
    return out.getvalue()
