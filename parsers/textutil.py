"""Small shared helpers for parsers: sizes, durations, localised dates and status words.

Helpers here are pure and never raise on bad input (they return None instead).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo

from parsers.model import Status

_UNITS = {
    "": 1,
    "b": 1,
    "byte": 1,
    "bytes": 1,
    "k": 1024,
    "kb": 1024,
    "kib": 1024,
    "m": 1024**2,
    "mb": 1024**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gb": 1024**3,
    "gib": 1024**3,
    "t": 1024**4,
    "tb": 1024**4,
    "tib": 1024**4,
    "p": 1024**5,
    "pb": 1024**5,
    "pib": 1024**5,
}
# The number ends on a non-space so that it and the `\s*` after it never share spaces
# (which made a long hostile cell quadratic).
_SIZE = re.compile(r"^\s*([0-9](?:[0-9.,\s']*[0-9.,'])?)\s*([a-zA-Z]*)\s*$")


def parse_number(text: str) -> float | None:
    """A number written with either decimal comma or point and any thousands separator."""
    s = text.strip().replace("'", "").replace(" ", "").replace("\u00a0", "")
    if not s:
        return None
    if "," in s and "." in s:
        # The later separator is the decimal one: 1.234,5 or 1,234.5
        if s.rfind(",") > s.rfind("."):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", "")
    elif "," in s:
        head, _, tail = s.rpartition(",")
        # 1,234,567 or 1,234 (thousands) versus 43722,8 (decimal comma)
        thousands = len(tail) == 3 and head.replace(",", "").isdigit()
        s = s.replace(",", "") if thousands else s.replace(",", ".")
    try:
        return float(s)
    except ValueError:
        return None


def parse_size(text: str) -> int | None:
    """Bytes in a size such as '12.34GB', '512 MB', '1,2 GiB' or '123456'; None if unreadable."""
    m = _SIZE.match(text)
    if not m:
        return None
    unit = m.group(2).lower()
    if unit not in _UNITS:
        return None
    value = parse_number(m.group(1))
    if value is None:
        return None
    return int(value * _UNITS[unit])


# `(?<!\d)`: a number is read from its first digit only (from every digit of a long run,
# the search was quadratic); a match from inside a run always had one from its start.
_DURATION_PART = re.compile(
    r"(?<!\d)(\d+(?:[.,]\d+)?)\s*(d|days?|h|hours?|hrs?|m|mins?|minutes?|s|secs?|seconds?)\b", re.I
)


def parse_duration(text: str) -> timedelta | None:
    """A duration in 'HH:MM:SS', 'H:MM', '1 min 33 secs', '2h 3m 4s' or '00:01:02.5' form."""
    s = text.strip()
    if re.fullmatch(r"\d+:\d{1,2}(:\d{1,2}(\.\d+)?)?", s):
        parts = [float(p) for p in s.split(":")]
        while len(parts) < 3:
            parts.append(0.0)
        return timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2])
    total = 0.0
    found = False
    for num, unit in _DURATION_PART.findall(s):
        found = True
        n = float(num.replace(",", "."))
        u = unit.lower()[0]
        total += n * {"d": 86400, "h": 3600, "m": 60, "s": 1}[u]
    return timedelta(seconds=total) if found else None


# Month names and abbreviations in the languages report mails come in (lowercase, no dot).
MONTHS: dict[str, int] = {}
for _i, _names in enumerate(
    [
        "jan january januar janvier januari gennaio enero янв январь января",
        "feb february februar février fevrier februari febbraio febrero фев февраль февраля",
        "mar march mär märz maerz mars marts maart marzo мар март марта",
        "apr april avril aprile abril апр апрель апреля",
        "may mai maj mei maggio mayo май мая",
        "jun june juni juin giugno junio июн июнь июня",
        "jul july juli juillet luglio julio июл июль июля",
        "aug august août aout augustus agosto авг август августа",
        "sep sept september septembre settembre septiembre сен сентябрь сентября",
        "oct okt october oktober octobre ottobre octubre окт октябрь октября",
        "nov november novembre noviembre ноя ноябрь ноября",
        "dec dez december dezember décembre decembre dicembre diciembre дек декабрь декабря",
    ],
    start=1,
):
    for _name in _names.split():
        MONTHS[_name] = _i


def month_number(name: str) -> int | None:
    """The month number of a (possibly localised, possibly abbreviated) month name."""
    return MONTHS.get(name.strip().rstrip(".").lower())


def aware(dt: datetime, tz: tzinfo | None) -> datetime:
    """`dt` with `tz` attached when it is naive (reports often print local time)."""
    if dt.tzinfo is not None or tz is None:
        return dt
    return dt.replace(tzinfo=tz)


# --- loose dates and clock times (appended for the Veeam/NAKIVO/Acronis parsers) ---

from datetime import date  # noqa: E402 - kept with the helpers appended below

_CLOCK = re.compile(
    r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?(?:\s*([AaPp])\.?\s?[Mm]\.?(?!\w))?"
)
_DATE_YMD = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DATE_DMY = re.compile(r"(?<![\d:])(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?![\d:])")
_DATE_D_MONTH_Y = re.compile(r"(?<!\d)(\d{1,2})\.?\s+([^\W\d_]{3,})\.?,?\s+(\d{4})(?!\d)")
_DATE_MONTH_D_Y = re.compile(
    r"(?<![\w])([^\W\d_]{3,})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)"
)
_TWELVE_HOUR = re.compile(r"\d\s*[AaPp]\.?[Mm]\b")


def parse_clock(text: str) -> tuple[int, int, int] | None:
    """(hour, minute, second) of the first clock time in `text` ('22:00:05', '10:00 PM')."""
    m = _CLOCK.search(text)
    if not m:
        return None
    hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    meridiem = (m.group(4) or "").lower()
    if meridiem and 1 <= hour <= 12:
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second


def _safe_date(year: int, month: int, day: int) -> date | None:
    """A date, or None when the parts are not a valid date (two-digit years are 20xx)."""
    try:
        return date(year if year >= 100 else 2000 + year, month, day)
    except ValueError:
        return None


def _numeric_date(text: str) -> date | None:
    """The first numeric date (Y-M-D, D.M.Y, D/M/Y or M/D/Y) in `text`."""
    m = _DATE_YMD.search(text)
    if m:
        return _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _DATE_DMY.search(text)
    if not m:
        return None
    first, sep, second, year = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
    us = sep == "/" and first <= 12 and (second > 12 or bool(_TWELVE_HOUR.search(text)))
    return _safe_date(year, first, second) if us else _safe_date(year, second, first)


def parse_loose_date(text: str) -> date | None:
    """The first date in `text`: '3 March 2024', 'Montag, 4. März 2024', 'March 3, 2024',
    '2024-03-04', '04.03.2024', '3/4/2024' (d/m unless it can only be, or a 12-hour
    clock suggests, US m/d)."""
    for m in _DATE_D_MONTH_Y.finditer(text):
        month = month_number(m.group(2))
        if month:
            return _safe_date(int(m.group(3)), month, int(m.group(1)))
    for m in _DATE_MONTH_D_Y.finditer(text):
        month = month_number(m.group(1))
        if month:
            return _safe_date(int(m.group(3)), month, int(m.group(2)))
    return _numeric_date(text)


def parse_loose_datetime(text: str, tz: tzinfo | None) -> datetime | None:
    """Date and clock time found in `text` as a datetime (with `tz` attached when given)."""
    day = parse_loose_date(text)
    clock = parse_clock(text)
    if day is None or clock is None:
        return None
    return datetime(day.year, day.month, day.day, *clock, tzinfo=tz)


# --- quoted subjects, mail zones, 'DD-Mon-YYYY' stamps (appended for Bareos, burp, …) ---

from datetime import UTC  # noqa: E402 - kept with the helpers appended below

# `^[> \t]*`, not `^[>\s]*`: under re.M the latter spans every following blank line from
# every line start (quadratic in the number of lines); the value ends at its last non-space.
_QUOTED_SUBJECT = re.compile(
    r"^[> \t]*(?:e-?mail[ \t]+)?subject[ \t]*:[^\S\n]*(\S(?:.*\S)?)[^\S\n]*$", re.I | re.M
)
_DASH_MONTH_DT = re.compile(
    r"(?<!\d)(\d{1,2})[- ]([^\W\d_]{3,}\.?)[- ](\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)


def quoted_subject(text: str, max_lines: int = 40) -> str:
    """A 'Subject: …' line quoted near the top of a saved or forwarded body ('' if none)."""
    head = "\n".join(text[: max_lines * 200].splitlines()[:max_lines])
    m = _QUOTED_SUBJECT.search(head)
    return m.group(1).strip("`'\" \t") if m else ""


def zone_of(date: datetime | None) -> tzinfo:
    """The zone of a mail's Date header, or UTC when there is none."""
    if date is not None and date.tzinfo is not None:
        return date.tzinfo
    return UTC


def parse_dash_month_datetime(text: str, tz: tzinfo) -> datetime | None:
    """A '23-Okt-2025 15:46:43' / '27-ноя-2024 10:00' / '25-Jun-2022 21:41' stamp with `tz`."""
    m = _DASH_MONTH_DT.search(text)
    if not m:
        return None
    month = month_number(m.group(2))
    if month is None:
        return None
    hour, minute, second = (int(g) if g else 0 for g in m.group(4, 5, 6))
    try:
        return datetime(int(m.group(3)), month, int(m.group(1)), hour, minute, second, tzinfo=tz)
    except ValueError:
        return None


# --- forwarded copies, labelled fields, worded durations (appended for Proxmox, Synology,
# Xen Orchestra, UrBackup, TrueNAS) ---

_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|vs|fw|fwd|wg|tr|rv|antw|doorst|enc)\s*(?:\[\d+\]\s*)?:\s*)+", re.I
)
_QUOTE_MARK = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.M)
_LINE_NUMBER = re.compile(r"^[ \t]*\d+\.(?: |$)")
_BR = re.compile(r"<br\s*/?>", re.I)
_WORD_UNITS = (
    (re.compile(r"^(?:tage?n?|dage?|days?|d)$", re.I), 86400),
    (re.compile(r"^(?:stunden?|std|timer?|hours?|hrs?|h)$", re.I), 3600),
    (re.compile(r"^(?:minut(?:en?|ter)?|minutes?|mins?|m)$", re.I), 60),
    (re.compile(r"^(?:sekund(?:en?|er)?|seconds?|secs?|s)$", re.I), 1),
)
_WORD_DURATION = re.compile(
    r"(?<!\d)(\d+(?:[.,]\d+)?)\s*(tage?n?|dage?|days?|d|stunden?|std|timer?|hours?|hrs?|h|"
    r"minut(?:en?|ter)?|minutes?|mins?|m|sekund(?:en?|er)?|seconds?|secs?|s)\b",
    re.I,
)


def strip_reply_prefixes(subject: str) -> str:
    """`subject` without leading reply/forward markers ('Fwd:', 'WG:', 'TR:', 'AW:', 'Re:')."""
    return _REPLY_PREFIX.sub("", subject).strip()


def unquote_body(text: str) -> str:
    """`text` without '> ' quote marks and without a pasted 'N. ' line-number gutter."""
    text = _QUOTE_MARK.sub("", text)
    lines = text.splitlines()
    filled = [line for line in lines if line.strip()]
    if filled and all(_LINE_NUMBER.match(line) for line in filled):
        lines = [_LINE_NUMBER.sub("", line, count=1) for line in lines]
    return "\n".join(lines)


def br_to_newlines(text: str) -> str:
    """`text` with literal '<BR>' tags (HTML bodies saved as text) turned into newlines."""
    return _BR.sub("\n", text)


def find_field(text: str, *labels: str) -> str | None:
    """The value of the first 'Label: value' line for any of `labels` (bullets allowed)."""
    names = "|".join(re.escape(label) for label in labels)
    # The value ends at its last non-blank (`.*?[ \t]*$` retried the blanks at every character).
    pattern = (
        rf"^[ \t>*•\-]*(?:\*\*)?(?:{names})(?:\*\*)?[ \t]*:(?:\*\*)?[ \t]*"
        r"((?:.*[^ \t])?)[ \t]*$"
    )
    m = re.search(pattern, text, re.I | re.M)
    return m.group(1) if m else None


def parse_duration_words(text: str) -> timedelta | None:
    """A duration spelt out in German, Danish or English ('14 Minuten 26 Sekunden', '0 Second')."""
    parts = _WORD_DURATION.findall(text)
    if not parts:
        return None
    total = sum(float(num.replace(",", ".")) * _word_unit(unit) for num, unit in parts)
    return timedelta(seconds=total)


def _word_unit(unit: str) -> int:
    """Seconds in one `unit` ('Minuten' → 60), 0 when unknown."""
    return next((seconds for pattern, seconds in _WORD_UNITS if pattern.match(unit)), 0)


# --- unaccounted problem wording (appended for the fail-safe rule: a success must leave
# no failure, error or warning wording unexplained) ---

_PROBLEM_WORDING = re.compile(
    # Letters may not touch the word, digits and '_' may: 'SR_BACKEND_FAILURE_44' counts,
    # 'UserWarning' (a Python warning class in a script's log) does not.
    r"(?<![^\W\d_])(?:fail(?:ed|ure|ures|s)?|errors?|fatal|warn(?:ing|ings)?|abort(?:ed)?|"
    r"could not|couldn't|cannot|unable to|"
    r"fehlgeschlagen|fehler|warnung(?:en)?|mislykkedes|fejl(?:ede)?|advarsel|échec|erreur)"
    r"(?![^\W\d_])",
    re.I,
)
# 'Errors: 0', '0 warnings', 'Failed | 0', 'Warning 0' are counts of nothing.
_ZERO_COUNT = re.compile(
    r"\b0\s+(?:[A-Za-z]+\s+)?(?:fail|error|warn|fehler|fejl)\w*|"
    r"\b(?:fail|error|warn|fehler|fejl)\w*\s*(?:count)?\s*[:=|]?\s*"
    r"(?:0(?![\d.,]|\s*[KMGTP]?i?B\b)|\[\s*\]|none\b|false\b)",
    re.I,
)


def problem_line(text: str, *, max_hits: int = 200) -> str:
    """The first line of `text` that speaks of a failure, error or warning ('' if none).

    Zero counts ('Errors: 0', '0 warnings') do not count. At most `max_hits` candidate
    words are looked at, so a huge body stays cheap; past that the answer is the last
    line seen, which errs on the side of a warning.
    """
    for hits, m in enumerate(_PROBLEM_WORDING.finditer(text)):
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        line = text[start : end if end >= 0 else len(text)]
        if hits >= max_hits or _PROBLEM_WORDING.search(_ZERO_COUNT.sub(" ", line)):
            return line.strip()[:200]
    return ""


def doubted(status: Status, message: str, text: str) -> tuple[Status, str]:
    """`status` and `message`, a success made a warning when `text` has a problem line.

    The reason goes into the message, so the operator sees what was not accounted for.
    """
    if status is not Status.SUCCESS:
        return status, message
    problem = problem_line(text)
    if not problem:
        return status, message
    note = f"success not proven, the report also says: {problem}"
    return Status.WARNING, f"{message}; {note}" if message else note
