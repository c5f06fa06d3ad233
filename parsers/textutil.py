"""Small shared helpers for parsers: sizes, durations, localised dates and status words.

Helpers here are pure and never raise on bad input (they return None instead).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo

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
_SIZE = re.compile(r"^\s*([0-9][0-9.,\s']*)\s*([a-zA-Z]*)\s*$")


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
        s = s.replace(",", "") if len(tail) == 3 and head.replace(",", "").isdigit() else s.replace(",", ".")
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


_DURATION_PART = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(d|days?|h|hours?|hrs?|m|mins?|minutes?|s|secs?|seconds?)\b", re.I
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
