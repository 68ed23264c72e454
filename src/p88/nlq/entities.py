"""Entities in a question that need no database: distances, times and paces, sex, ages,
dates, ranks, tenant words.

``extract(question, today)`` normalises the text (lower case, number words to digits) and
returns ``Entities``; every match records the span it used, so the understanding stage can
tell which words are left over and refuse what it did not understand. Defaults are the
documented ones: "under" is strict, "or better" inclusive, "between" inclusive at both ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from p88.nlq.spelling import respell
from p88.units import STANDARD_DISTANCES, whole_metres

#: The standard distances as ``ct_races.distance_m`` stores them (whole metres).
MARATHON, HALF, TEN_K, FIVE_K = map(whole_metres, STANDARD_DISTANCES)
DISTANCE_LABEL = {MARATHON: "marathon", HALF: "half marathon", TEN_K: "10K", FIVE_K: "5K"}

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "twenty-five": 25, "fifty": 50, "hundred": 100,
}  # fmt: skip


@dataclass(frozen=True)
class Bound:
    """A time or pace condition: ``op`` is one of < <= > >=, ``seconds`` the value."""

    op: str
    seconds: float
    kind: str  # "time" or "pace"
    span: tuple[int, int]
    text: str


@dataclass
class Entities:
    """What the regex stage found; ``spans`` are the parts of ``text`` it used."""

    text: str
    distances: list[tuple[int, tuple[int, int]]] = field(default_factory=list)
    bounds: list[Bound] = field(default_factory=list)
    sex: str | None = None
    age_min: int | None = None
    age_max: int | None = None
    age_text: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    top_n: int | None = None
    winner: bool = False
    slowest: bool = False
    tenant: bool = False
    minutes_back: int | None = None
    session_no: int | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)

    def used(self, start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in self.spans)

    def take(self, m: re.Match[str], group: int | str = 0) -> None:
        self.spans.append(m.span(group))

    def take_group(self, m: re.Match[str], group: str) -> None:
        self.spans.append(m.span(group))


def normalise(question: str) -> str:
    """Lower case, plain quotes and spaces, number words as digits, 'and a half' folded."""
    text = question.lower().replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", "-")
    text = re.sub(r"[?!,;]", " ", text)
    text = re.sub(r"(?<=[a-z])'s\b", "", text)
    text = re.sub(r"(?<=[a-z])s'", "s", text)
    text = respell(text)
    for word, value in sorted(_NUMBER_WORDS.items(), key=lambda kv: -len(kv[0])):
        text = re.sub(rf"\b{word}\b", str(value), text)
    text = re.sub(r"\b(\d+) and a half (hours?|hrs?)", lambda m: f"{m[1]}.5 {m[2]}", text)
    text = _short_years(text)
    text = re.sub(r"\b(?:1|any) of (our|the|their|its) (races|events)\b", r"\1 \2", text)
    text = re.sub(r"\b(?:broken (?:down|out)|grouped|split|bucketed) by\b", "by", text)
    groups = r"(?=(?:age|sex|gender|year|state|event|race|distance|division)s?\b)"
    text = re.sub(
        rf"\b(by|per|each|every) ((?:[a-z]+ ){{0,1}}[a-z]+),? and {groups}", r"\1 \2 and \1 ", text
    )
    text = re.sub(r"\b([mf])(\d{2})\b(?![-+:])", _division, text)
    text = re.sub(r"\ban? (hour)\b", r"1 \1", text)
    text = re.sub(r"\s+", " ", text).strip(" .")
    return text


def _short_years(text: str) -> str:
    """'23 and "in 23" (no unit after it) as 2023."""
    text = re.sub(r"(?<![\w'])'(\d\d)\b", r"20\1", text)
    unit = r"\s*(?:min|hour|hr|h\b|sec|:|%|percent|year|time|mile|mi\b|k\b|km|th\b|st\b|nd\b|rd\b)"
    return re.sub(rf"\bin (1\d|2\d)\b(?!{unit})(?!\s*(?:-|\+|and|or)\b)", r"in 20\1", text)


def _division(m: re.Match[str]) -> str:
    """M45 / F50 (a division by its lower age) as the age group: m45-49, f80+."""
    low = int(m[2])
    if low < 20 or low % 5:
        return m[0]
    return f"{m[1]}{low}+" if low >= 80 else f"{m[1]}{low}-{low + 4}"


def implied_distance(seconds: float, *, jargon: bool = False) -> int | None:
    """The distance a bare time names ("sub 3" is the marathon, "sub 1:30" the half);
    shorter times only when said as runners say them ("sub 20" 5K, "broke 50" 10K)."""
    if seconds >= 2.5 * 3600:
        return MARATHON
    if 75 * 60 <= seconds < 2.5 * 3600:
        return HALF
    if jargon and 30 * 60 <= seconds < 75 * 60:
        return TEN_K
    if jargon and 10 * 60 <= seconds < 30 * 60:
        return FIVE_K
    return None


_DISTANCES: list[tuple[str, int]] = [
    (
        r"\bhalf[- ]?marathon(?:s|ers?)?\b|\bhal(?:f|fs|ves)\b|\b13\.1(?: ?miles?| ?mi)?\b"
        r"|\b21\.1 ?km?\b",
        HALF,
    ),
    (
        r"\b(?:full[- ])?marathon(?:s|ers?)?\b|\b26\.2(?: ?miles?| ?mi)?\b|\b42\.2 ?k(?:m)?\b",
        MARATHON,
    ),
    (r"\b10 ?k(?:m|s)?\b|\b10 ?kilomet(?:er|re)s?\b|\b6\.2 ?miles?\b", TEN_K),
    (r"\b5 ?k(?:m|s)?\b|\b5 ?kilomet(?:er|re)s?\b|\b3\.1 ?miles?\b", FIVE_K),
]

_CLOCK = r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
_UNIT_H = r"(?:hours?|hrs?|h)\b"
_UNIT_M = r"(?:minutes?|mins?)\b"
_DUR = (
    rf"(?:(?P<clock>{_CLOCK})(?:\s*{_UNIT_H}|\s*{_UNIT_M})?"
    rf"|(?P<h>\d+(?:\.\d+)?)\s*{_UNIT_H}(?:\s*(?:and\s*)?(?P<hm>\d+)\s*(?:{_UNIT_M}|m\b))?"
    rf"|(?P<m>\d+(?:\.\d+)?)\s*{_UNIT_M}"
    rf"|(?P<bare>\d+(?:\.\d+)?))"
)
_LT = (
    r"under|below|less than|faster than|quicker than|better than|sub|sub-|in under|in less than"
    r"|broke|break|breaking"
)
_LE = r"within|at most|no more than|no slower than|in|at|of"
_GT = r"over|above|more than|slower than|longer than|beyond|in over"
_GE = r"at least|no faster than"
_SUFFIX_LE = r"or (?:better|faster|less|under|quicker)|and (?:under|faster|better)"
_SUFFIX_GE = r"or (?:slower|more|over|longer)|and (?:over|slower|up)"
_PACE_UNIT = r"(?:-|\s)?(?:minutes?|mins?)?(?:-|\s)?(?:per\s|/\s?|a\s)?(?:miles?|mi)\b(?:\s?pace)?"


def seconds_of(m: re.Match[str], *, bare_as: str = "auto") -> float | None:
    """Seconds in a ``_DUR`` match; a bare number is hours up to 9, minutes above."""
    if m["clock"]:
        parts = [float(p) for p in m["clock"].split(":")]
        if len(parts) == 3:
            return parts[0] * 3600 + parts[1] * 60 + parts[2]
        unit = m.group(0)[len(m["clock"]) :].strip()
        if unit.startswith("m") or (not unit.startswith("h") and parts[0] >= 10):
            return parts[0] * 60 + parts[1]
        return parts[0] * 3600 + parts[1] * 60
    if m["h"]:
        return float(m["h"]) * 3600 + float(m["hm"] or 0) * 60
    if m["m"]:
        return float(m["m"]) * 60
    if m["bare"] and bare_as != "none":
        value = float(m["bare"])
        return value * 3600 if value <= 9 else value * 60
    return None


def _extract_pace(ent: Entities) -> None:
    text = ent.text
    ops = rf"(?P<op>{_LT}|{_GT}|{_GE}|at most|no more than)"
    pat = (
        rf"(?:{ops}\s+(?:an?\s+)?)?(?:(?:a|at|pace(?: of)?)\s+)?(?P<v>{_CLOCK}|\d+(?:\.\d+)?)"
        rf"{_PACE_UNIT}(?:\s+(?P<suf>{_SUFFIX_LE}|{_SUFFIX_GE}))?"
    )
    for m in re.finditer(pat, text):
        v = m["v"]
        if ":" not in v and not re.search(r"min|pace", m[0]):
            continue  # "13.1 miles" is a distance
        secs = int(v.split(":")[0]) * 60 + int(v.split(":")[1]) if ":" in v else float(v) * 60
        op = _op_of(m["op"], m["suf"], default="<=")
        ent.bounds.append(Bound(op, secs, "pace", m.span(), m.group(0)))
        ent.take(m)
    paced = (
        rf"\b(?P<op>{_LT}|{_GT})\s*(?:an? )?(?P<v>{_CLOCK}|\d+)(?:[- ]?(?:minutes?|mins?))?"
        r"\s+pace\b"
    )
    for m in re.finditer(paced, text):
        if ent.used(*m.span()):
            continue
        v = m["v"]
        secs = int(v.split(":")[0]) * 60 + int(v.split(":")[1]) if ":" in v else float(v) * 60
        ent.bounds.append(Bound(_op_of(m["op"], None, "<"), secs, "pace", m.span(), m[0]))
        ent.take(m)


def _op_of(prefix: str | None, suffix: str | None, default: str) -> str:
    if suffix:
        return "<=" if re.fullmatch(_SUFFIX_LE, suffix) else ">="
    if prefix is None:
        return default
    p = prefix.strip()
    if re.fullmatch(_GE, p):
        return ">="
    if re.fullmatch(_GT, p):
        return ">"
    if re.fullmatch(r"within|at most|no more than|no slower than", p):
        return "<="
    if re.fullmatch(_LT, p):
        return "<"
    return default


def _extract_times(ent: Entities) -> None:
    text = ent.text
    lower = rf"(?P<a>{_CLOCK}|\d+(?:\.\d+)?)\s*(?:{_UNIT_H})?"
    between = rf"\b(?:between|from)\s+{lower}\s+(?:and|to)\s+{_DUR}"
    for m in re.finditer(between, text):
        if ent.used(*m.span()):
            continue
        hi = seconds_of(m)
        a = m["a"]
        if hi is None or (":" not in a and not re.search(rf"{_UNIT_H}|{_UNIT_M}|:", m[0])):
            continue
        if ":" in a:
            h, mi = a.split(":")[:2]
            lo = float(int(h) * 3600 + int(mi) * 60 if int(h) <= 9 else int(h) * 60 + int(mi))
        else:
            unit_hours = bool(m["h"]) or (m["clock"] is not None and int(m["clock"][0]) <= 9)
            lo = float(a) * (3600 if unit_hours or float(a) <= 9 else 60)
        ent.bounds.append(Bound(">=", lo, "time", m.span(), m[0]))
        ent.bounds.append(Bound("<=", hi, "time", m.span(), m[0]))
        ent.take(m)
    pat = (
        rf"(?:\b(?P<op>{_LT}|{_GT}|{_GE}|within|at most|no more than|no slower than)\s*)"
        rf"{_DUR}(?:\s+(?P<suf>{_SUFFIX_LE}|{_SUFFIX_GE}))?"
    )
    for m in re.finditer(pat, text):
        if ent.used(*m.span()):
            continue
        if m["bare"] and not re.match(r"sub|broke|break", m["op"]):
            continue  # "under 50": an age, not a time
        secs = seconds_of(m)
        if secs is None:
            continue
        ent.bounds.append(Bound(_op_of(m["op"], m["suf"], "<"), secs, "time", m.span(), m[0]))
        ent.take(m)
    suffix_only = rf"(?<![\w:]){_DUR}\s+(?P<suf>{_SUFFIX_LE}|{_SUFFIX_GE})"
    for m in re.finditer(suffix_only, text):
        if ent.used(*m.span()) or (m["bare"] and ":" not in m[0]):
            continue
        secs = seconds_of(m)
        if secs is not None:
            ent.bounds.append(Bound(_op_of(None, m["suf"], "<="), secs, "time", m.span(), m[0]))
            ent.take(m)


def _extract_ages(ent: Entities) -> None:
    text = ent.text

    def put(m: re.Match[str], lo: int | None, hi: int | None) -> None:
        ent.age_min, ent.age_max, ent.age_text = lo, hi, m[0]
        ent.take(m)

    group = re.search(
        r"\b(?:(?:aged?|ages) )?(?:(?P<sx>[mfx])\s?)?(?P<lo>\d{1,2})\s?-\s?(?P<hi>\d{2})\b", text
    )
    if group and not ent.used(*group.span()) and int(group["lo"]) < int(group["hi"]):
        if group["sx"]:
            ent.sex = group["sx"].upper()
        put(group, int(group["lo"]), int(group["hi"]))
        for word in re.finditer(r"\bage[- ]?groups?\b|\bag\b", text):
            ent.take(word)
        return
    plus = re.search(
        r"\b(?:(?:aged?|ages) )?(?:(?P<sx>[mf])\s?)?(?P<lo>\d{2})\s?\+(?: age[- ]?groups?\b)?", text
    )
    of = r"\s+(?:the age of\s+|age\s+)?"
    not_time = r"\b(?!\s*(?::|min|hour|h\b|sec|pace))"
    rules: list[tuple[str, object]] = [
        (r"\bgrand ?masters?\b", (50, None)),
        (r"\bmasters?\b", (40, None)),
        (r"\b(?:in (?:their|the) )?(?P<d>[1-9]0)s\b", "decade"),
        (r"\b(?:aged?|ages)\s+(?P<lo>\d{1,2})\s*(?:to|-|and)\s*(?P<hi>\d{1,2})\b", "range"),
        (r"\b(?:men|women|male|males|runners|finishers|females|athletes) (?P<lo>[1-9]\d)"
         r" (?:to|through) (?P<hi>[1-9]\d)\b(?! ?(?::|min|hour|h\b|sec))", "range"),
        (r"\bbetween (?:the )?ages? (?:of )?(?P<lo>\d{1,2}) and (?P<hi>\d{1,2})\b", "range"),
        (r"\b(?:aged?|ages)\s+(?P<lo>\d{1,2})\s+(?:and|or)\s+(?:over|older|up)\b", "min"),
        (r"\b(?P<lo>\d{1,2})\s+(?:and|or)\s+(?:over|older|up)\b", "min"),
        (r"\b(?:over|above|older than)" + of + r"(?P<lo>\d{2})" + not_time, "over"),
        (r"\b(?:under|below|younger than)" + of + r"(?P<hi>\d{2})" + not_time, "under"),
        (r"\b(?:aged?|ages)\s+(?P<lo>\d{1,2})\b", "exact"),
        (r"\b(?P<lo>\d{1,2})[- ]years?[- ]olds?\b", "exact"),
    ]  # fmt: skip
    if plus and not ent.used(*plus.span()):
        if plus["sx"]:
            ent.sex = plus["sx"].upper()
        put(plus, int(plus["lo"]), None)
        return
    for pat, kind in rules:
        m = re.search(pat, text)
        if not m or ent.used(*m.span()):
            continue
        if isinstance(kind, tuple):
            put(m, kind[0], kind[1])
        elif kind == "decade":
            put(m, int(m["d"]), int(m["d"]) + 9)
        elif kind == "range":
            put(m, int(m["lo"]), int(m["hi"]))
        elif kind in ("min", "over"):
            put(m, int(m["lo"]), None)
        elif kind == "under":
            put(m, None, int(m["hi"]) - 1)
        else:
            put(m, int(m["lo"]), int(m["lo"]))
        return


def _extract_years(ent: Entities, today: date) -> None:
    text = ent.text
    y = r"((?:19|20)\d{2})"
    rules: list[tuple[str, str]] = [
        (rf"\b(?:between|from) {y} (?:and|to|through) {y}\b", "range"),
        (rf"\b{y}\s?-\s?{y}\b", "range"),
        (rf"\b(?:since|after|from) {y}\b", "since"),
        (rf"\bbefore {y}\b", "before"),
        (r"\b(?:in the )?(?:last|past) (\d+) years\b", "lastn"),
        (r"\blast year(?:'s)?\b", "last"),
        (r"\bthis year(?:'s)?\b", "this"),
        (rf"\b(?:in )?{y}\b", "in"),
    ]
    for pat, kind in rules:
        m = re.search(pat, text)
        if not m or ent.used(*m.span()):
            continue
        if kind == "range":
            lo, hi = sorted((int(m[1]), int(m[2])))
            ent.year_from, ent.year_to = lo, hi
        elif kind == "since":
            first = int(m[1]) + (1 if m[0].startswith("after") else 0)
            ent.year_from, ent.year_to = first, today.year
        elif kind == "before":
            ent.year_to = int(m[1]) - 1
        elif kind == "lastn":
            ent.year_from, ent.year_to = today.year - int(m[1]) + 1, today.year
        elif kind == "last":
            ent.year_from = ent.year_to = today.year - 1
        elif kind == "this":
            ent.year_from = ent.year_to = today.year
        else:
            ent.year_from = ent.year_to = int(m[1])
        ent.take(m)
        return


def _extract_live(ent: Entities) -> None:
    m = re.search(r"\b(?:in )?(?:the )?(?:last|past) (\d+) ?(minutes?|mins?|hours?)\b", ent.text)
    if m and not ent.used(*m.span()):
        ent.minutes_back = int(m[1]) * (60 if m[2].startswith("h") else 1)
        ent.take(m)
    m = re.search(r"\bsession (?:#|no\.? |number )?(\d+)\b", ent.text)
    if m:
        ent.session_no = int(m[1])
        ent.take(m)


def _extract_ranks(ent: Entities) -> None:
    text = ent.text
    m = re.search(
        r"\b(?:top|first|fastest|best|slowest|last)\s+(\d+)\b|\b(\d+)\s+(?:fastest|slowest|best)\b",
        text,
    )
    if m and not ent.used(*m.span()):
        ent.top_n = int(m[1] or m[2])
        ent.slowest = "slowest" in m[0] or m[0].startswith("last")
        ent.take(m)
    elif m := re.search(r"\b(?:in |at )?last place\b|\b(?:finished|came|came in|was) last\b", text):
        ent.top_n, ent.slowest = 1, True
        ent.take(m)
    elif m := re.search(
        r"\btop (?=(?:\w+ )?(?:woman|man|finisher|runner|female|male|guy|girl|athlete)\b)",
        text,
    ):
        ent.top_n = 1
        ent.take(m)
    elif re.search(r"\bpodium\b", text):
        ent.top_n = 3
        ent.take(re.search(r"\bpodium\b", text))  # type: ignore[arg-type]
    m = re.search(
        r"\bwinners?\b|\bwho won\b|\bwon\b|\bfirst (?:\w+ )?across the (?:finish )?line\b"
        r"|\b(?:finished|came|placed|came in|was) first\b|\bfirst place\b"
        r"|\bfirst(?= (?:wom[ae]n|m[ae]n|females?|males?|finishers?|runners?|lady|guy)\b)"
        r"(?:(?: \w+)? to (?:finish|cross the (?:finish )?line)\b)?",
        text,
    )
    if m:
        ent.winner = True
        ent.take(m)


def _extract_sex(ent: Entities) -> None:
    if ent.sex:
        return
    f = re.search(
        r"\b(?:women|woman|female|females|ladies|lady|girls|gals|gal|womens|women's)\b", ent.text
    )
    m = re.search(r"\b(?:men|man|male|males|guys|boys|dudes|fellas|gents|mens|men's)\b", ent.text)
    x = re.search(r"\bnon-?binary\b", ent.text)
    found = [(s, hit) for s, hit in (("F", f), ("M", m), ("X", x)) if hit]
    if len(found) == 1:
        ent.sex = found[0][0]
        for hit in re.finditer(found[0][1].re, ent.text):
            ent.take(hit)


def extract(question: str, today: date) -> Entities:
    """Every entity the regexes find in ``question``; ``today`` anchors "last year"."""
    ent = Entities(text=normalise(question))
    _extract_live(ent)
    _extract_pace(ent)
    _extract_ages(ent)
    _extract_times(ent)
    _extract_years(ent, today)
    _extract_ranks(ent)
    _extract_sex(ent)
    for pat, metres in _DISTANCES:
        for m in re.finditer(pat, ent.text):
            if not ent.used(*m.span()):
                ent.distances.append((metres, m.span()))
                ent.take(m)
    ent.tenant = re.search(r"\b(?:our|my|we|us)\b", ent.text) is not None
    return ent
