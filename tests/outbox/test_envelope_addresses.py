"""The envelope's addresses: the shortcut for a bare address writes what smtplib.quoteaddr writes."""

import smtplib

from hypothesis import example, given
from hypothesis import strategies as st

from mailbot import smtp

ADDRESS_LIKE = st.text(alphabet="abcXYZ019.-_+@<>\"' ()[]:;,\\!#$%&*/=?^`{|}~đ\t", max_size=30)


@given(st.emails())
@example("vanthu@ubnd-trungdong.gov.vn")
@example("so.tttt+baocao@example.com")
def test_a_bare_address_is_quoted_as_smtplib_quotes_it(address):
    assert smtp._quoted.__wrapped__(address) == smtplib.quoteaddr(address)


@given(ADDRESS_LIKE)
@example("a..b@example.com")
@example(".a@example.com")
@example("a.@example.com")
@example("a@example..com")
@example("a@-example.com")
@example("Văn thư <vanthu@example.com>")
@example("<vanthu@example.com>")
@example("vanthu@example.com ")
@example("@example.com")
def test_any_other_text_is_quoted_as_smtplib_quotes_it(text):
    assert smtp._quoted.__wrapped__(text) == smtplib.quoteaddr(text)


def test_a_bare_address_takes_the_shortcut():
    assert smtp._BARE_ADDRESS.fullmatch("vanthu@ubnd-trungdong.gov.vn")
    assert not smtp._BARE_ADDRESS.fullmatch("Văn thư <vanthu@example.com>")
