"""Phone photos are turned upright before Tesseract reads them (mailbot.sheets.ocr_upright).

The whole path (a photo askew, on its side, upside down, through `mailbot parse`) is in
the channel corpus (image_photo_*); these pin each step on its own.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from channels import build_channels as c
from local_servers import missing_message
from PIL import Image

from mailbot.sheets import ocr, ocr_upright

PAGE = c.communes_page()  # the page of the channel corpus's image_table_communes_total
NO_PROGRAM = "/nonexistent/tesseract"  # no orientation detection: the EXIF tag and the skew alone


def grey(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("L")


@pytest.mark.parametrize("turned", [-7.0, -2.5, 1.5, 4.0])
def test_the_skew_found_is_the_angle_the_page_was_turned_by(turned):
    found = ocr_upright.skew(np.asarray(grey(c.photo(PAGE, turned=turned))), ocr.DARK)
    assert abs(found + turned) <= 0.3


def test_a_square_page_is_left_as_it_is():
    assert abs(ocr_upright.skew(np.asarray(grey(PAGE)), ocr.DARK)) < ocr_upright.LEAST_SKEW


def test_the_exif_tag_turns_the_photo_without_orientation_detection():
    stored = c.photo(PAGE, turned=90.0, orientation=6)
    with Image.open(io.BytesIO(stored)) as picture:
        assert picture.height > picture.width  # stored on its side
        turned = ocr_upright.upright(picture, NO_PROGRAM, 10, ocr.DARK)
    assert turned.width > turned.height and turned.size == grey(PAGE).size


def test_orientation_detection_says_a_quarter_turn_or_nothing_when_unsure():
    if ocr.tesseract() is None:
        pytest.fail(missing_message("tesseract"))
    sideways = grey(c.photo(PAGE, turned=90.0))
    assert ocr_upright.quarter_turns(sideways, ocr.tesseract(), 30) == 90
    assert ocr_upright.quarter_turns(grey(PAGE), ocr.tesseract(), 30) == 0
    blank = Image.new("L", (400, 300), 255)  # nothing to tell the orientation by
    assert ocr_upright.quarter_turns(blank, ocr.tesseract(), 30) == 0
    assert ocr_upright.quarter_turns(sideways, NO_PROGRAM, 30) == 0
