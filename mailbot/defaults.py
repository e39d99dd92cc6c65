"""The numbers of policy: how far back mailbot looks, how often and how long it waits.

One module, so that a change of policy is one line here and the modules that use a
number say only what it is for. Settings a deployment chooses (deadlines, limits,
poll intervals) are in the configuration instead (docs/settings.md).
"""

from __future__ import annotations

from datetime import timedelta

# --- how far back ----------------------------------------------------------------------

# Earlier submissions of a unit read for the checks (decreasing figure, outlier jump)
# and for the previous counted figure of a review decision.
EARLIER_SUBMISSIONS_DAYS = 60
# Days before a history's first day that are read so that its first day's change is known.
HISTORY_LOOKBACK_DAYS = 60
HISTORY_DAYS = 30  # days a history shows when no first day is given
TREND_DAYS = 14  # days shown in the report's trend chart
UPDATE_WATCH_DAYS = 7  # reported days watched for changed figures after their report went out
# A poll's readings shown row by row after it, those a person must look at first: a screenful. The others are
# counted by status (a table of every row of a backlog scrolls past, and drawing it was a tenth of a poll's time).
READINGS_SHOWN = 20
CHARTS_KEPT = 8  # drawn report charts a process keeps, so the same figures are not drawn twice

# --- retries and waits -----------------------------------------------------------------

FIRST_RETRY = timedelta(minutes=1)  # an outgoing mail's first retry; each next one waits twice as long
LONGEST_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 20  # about a day of retries; then the mail is held for a person
SMTP_TIMEOUT_SECONDS = 30.0  # when the SMTP URL names no ?timeout=
SMTP_LONGEST_TIMEOUT_SECONDS = 86_400.0  # a ?timeout= longer than a day is a mistake
SMTP_CONNECTIONS = 2  # when the SMTP URL names no ?connections=: used in turn where the server pipelines
SMTP_MOST_CONNECTIONS = 4
DELIVERY_EVERY_SECONDS = 30  # how often the service sends what the outbox holds
BACKOFF_FIRST_SECONDS = 2.0  # the first wait after the inbox failed; doubled up to the longest
BACKOFF_MAX_SECONDS = 300.0
IDLE_MAX_SECONDS = 540  # IDLE is re-issued well before the 10 minutes some servers allow

# --- locks -----------------------------------------------------------------------------

REVIEW_LOCK_TIMEOUT_SECONDS = 30  # how long a review decision waits for another one to finish
SENDING_LEASE = timedelta(minutes=10)  # a claimed mail not confirmed by then is tried again
LEASE_RETRY_SECONDS = 5.0  # how often an instance standing by tries to take the mailbox over
LEASE_CHECK_SECONDS = 5.0  # how often the serving instance checks that the mailbox is still its own
LOCK_LEASE = timedelta(hours=1)  # a lock whose holder vanished without a trace expires
