"""What composing the first answer loads can be loaded ahead (while the workers read the first batch)."""

from dataclasses import replace

from mailbot import batches, compose
from mailbot.config import load_settings
from mailbot.report import templates


def compiled(lang: str) -> list[str]:
    return sorted(template.name for template in templates._environment(lang).cache.values())


def test_the_answers_template_is_compiled_before_the_first_answer():
    templates._environment.cache_clear()
    settings = load_settings("config/mailbot.toml", env={})
    assert compiled(settings.language) == []
    batches.load_what_answering_needs(settings)
    assert compiled(settings.language) == [compose.ACK_TEMPLATE]


def test_the_template_compiled_is_the_one_of_the_campaigns_language():
    templates._environment.cache_clear()
    english = replace(load_settings("config/mailbot.toml", env={}), language="en")
    compose.load_templates(english)
    assert compiled("en") == [compose.ACK_TEMPLATE] and compiled("vi") == []
