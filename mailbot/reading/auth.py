"""Sender authentication from the trusted server's Authentication-Results header.

Only the topmost header whose authserv-id is the configured trusted one counts:
headers from any other server, or added further down by the sender, are ignored.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any  # authres has no types

import authres
import authres.core

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuthVerdict:
    failed: bool
    reason: str | None = None  # "dmarc" | "dkim_spf"
    passed: bool = False  # DMARC, or DKIM or SPF aligned with the From domain, passed at the trusted server


NO_VERDICT = AuthVerdict(False)
PASSED = AuthVerdict(False, passed=True)


def verdict(headers: list[str], trusted_id: str | None, from_domain: str | None) -> AuthVerdict:
    if not trusted_id or not from_domain:
        return NO_VERDICT
    for value in headers:
        parsed = _parse(value)
        if parsed is not None and (parsed.authserv_id or "").lower() == trusted_id.lower():
            return _judge(parsed.results, from_domain.lower())
    return NO_VERDICT


def _parse(value: str) -> Any:
    return _parsed(" ".join(str(value).split()))


@lru_cache(maxsize=1024)
def _parsed(value: str) -> Any:
    """One header value parsed (once: a trusted server writes the same results for a sender's every mail)."""
    try:
        return _Parsing.parse_value(authres.core_features(), value)
    except Exception:  # authres raises several error types on malformed headers
        log.debug("ignored a malformed Authentication-Results header", exc_info=True)
        return None


class _Parsing(authres.core.AuthenticationResultsHeader):
    """authres's own parser, with each of its patterns compiled once instead of looked up in `re`'s cache at each
    of the few hundred steps a header takes (most of a report mail's reading time went there).

    `_parse_pattern` is authres's: the pattern, anchored with "^" and ignoring case, takes its first match
    out of the text still to parse, and that match is returned. `_parse_rfc5322_cfws` (folding white space
    and comments, looked for between any two tokens) is authres's where the text starts with either; where
    it starts with neither, authres's finds nothing, changes nothing and gives None, and so does this one
    without its three searches (tests/reading/test_reading_fast_paths.py checks the parsed headers
    against authres's own parse).
    """

    _parse_text: str  # what is still to parse (authres's own attribute)

    def _parse_rfc5322_cfws(self) -> Any:
        if self._parse_text[:1] not in CFWS_STARTS:
            return None
        return super()._parse_rfc5322_cfws()

    def _parse_pattern(self, pattern: Any) -> re.Match[str] | None:
        regexp = _ANCHORED.get(pattern)  # authres's patterns are strings, each compiled once
        if regexp is None:
            regexp = _anchored(pattern) if isinstance(pattern, str) else pattern
        found = regexp.search(self._parse_text)
        if found is not None:
            text, start = self._parse_text, found.start()
            self._parse_text = text[found.end() :] if start == 0 else text[:start] + text[found.end() :]
        return found


CFWS_STARTS = frozenset(" \t\r\n(")  # what folding white space or a comment starts with
_ANCHORED: dict[str, re.Pattern[str]] = {}  # authres's patterns: a few dozen, fixed in its code


def _anchored(pattern: str) -> re.Pattern[str]:
    regexp = _ANCHORED.get(pattern)
    if regexp is None:
        regexp = _ANCHORED[pattern] = re.compile("^" + pattern, re.IGNORECASE)
    return regexp


def _prop(result: Any, ptype: str, name: str) -> str:
    for prop in getattr(result, "properties", ()) or ():
        if prop.type == ptype and prop.name == name:
            return str(prop.value or "").lower()
    return ""


def _aligned(domain: str, from_domain: str) -> bool:
    domain = domain.rsplit("@", 1)[-1]
    return bool(domain) and (
        domain == from_domain or domain.endswith("." + from_domain) or from_domain.endswith("." + domain)
    )


def _judge(results: list[Any], from_domain: str) -> AuthVerdict:
    dmarc = [r for r in results if r.method == "dmarc" and _aligned(_prop(r, "header", "from"), from_domain)]
    if any(r.result == "fail" for r in dmarc):
        return AuthVerdict(True, "dmarc")
    if any(r.result == "pass" for r in dmarc):
        return PASSED
    dkim = [
        r
        for r in results
        if r.method == "dkim" and _aligned(_prop(r, "header", "d") or _prop(r, "header", "i"), from_domain)
    ]
    spf = [
        r
        for r in results
        if r.method == "spf" and _aligned(_prop(r, "smtp", "mailfrom") or _prop(r, "smtp", "helo"), from_domain)
    ]
    dkim_failed = bool(dkim) and all(r.result == "fail" for r in dkim)
    spf_failed = bool(spf) and all(r.result == "fail" for r in spf)
    if dkim_failed and spf_failed:
        return AuthVerdict(True, "dkim_spf")
    if any(r.result == "pass" for r in dkim + spf):
        return PASSED
    return NO_VERDICT
