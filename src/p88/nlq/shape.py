"""The shape of a question beyond its filters: which groups it ranks and by what, the
percentiles it asks for, the years it compares, a runner's history (personal bests set,
improvement, appearances, every edition), and who is counted (first-timers, out of state).

Each reader marks the words it used, so a word no reader used still makes the question
"not understood" (every content word is used, or the question is refused).
"""

from __future__ import annotations

import re
from datetime import date

from p88.nlq.entities import Entities
from p88.nlq.frame import Frame, Group
from p88.nlq.shape_compare import IMPROVED, read_comparisons
from p88.nlq.vocab import VOCAB

__all__ = ["read_shape"]


LISTING = re.compile(r"\b(?:list|show|who|which runners|which people|names?|give me)\b")

_GROUP_NOUNS: list[tuple[str, Group]] = [
    (r"age[- ]?groups?|divisions?|age categor(?:y|ies)", "age_group"),
    (r"states?|home states?", "state"),
    (r"years?|editions?", "year"),
    (r"sex(?:es)?|genders?", "sex"),
    (r"events?|races?|marathons?|half[- ]?marathons?|halfs|halves|10ks?|5ks?", "event"),
]
_NOUN = "|".join(f"(?:{p})" for p, _ in _GROUP_NOUNS)
_SUPER = r"most|fewest|least|biggest|largest|smallest|fastest|slowest|highest|lowest|quickest"


def _group_of(noun: str) -> Group:
    for pattern, group in _GROUP_NOUNS:
        if re.fullmatch(pattern, noun):
            return group
    return "event"


def _rank(ent: Entities, frame: Frame) -> None:
    text = ent.text
    patterns = [
        rf"\b(?:which|what)(?: (?:of|among) (?:our|the|all))?(?: \d{{4}})?(?: (?P<n>\d{{1,2}}))?"
        rf" (?P<noun>{_NOUN})\b"
        rf"(?=.*\b(?P<sup>{_SUPER})\b)",
        rf"\b(?:top|bottom) (?P<n>\d+) (?P<noun>{_NOUN})\b",
        rf"\b(?:the )?(?P<n>\d+) (?P<sup>{_SUPER}) (?P<noun>{_NOUN})\b",
        rf"\brank(?:ed|ing)?\b(?:(?!\bby\b).){{0,60}}?(?:\b(?P<noun>{_NOUN})\b)"
        rf"(?:(?!\bby\b).){{0,40}}?\bby\b",
        rf"\b(?:our |the )?(?P<sup>biggest|largest|smallest) (?P<noun>{_NOUN})\b",
    ]
    for n, pattern in enumerate(patterns):
        m = re.search(pattern, text)
        if not m:
            continue
        noun = m["noun"] or "events"
        group = _group_of(noun)
        if group not in frame.group_by:
            frame.group_by.append(group)
        span = m.span("noun") if m["noun"] else m.span()
        if n == 3:  # "rank <...> by": the words between stay for the other readers
            ent.spans += [(m.start(), m.start() + len(m[0].split()[0])), (m.end() - 2, m.end())]
            if m["noun"] and _group_of(m["noun"]) != "event":  # event words: distances
                ent.spans.append(m.span("noun"))
        else:
            ent.spans.append((m.start(), span[1]))
        if m.groupdict().get("n"):
            frame.rank_limit = int(m["n"])
        elif n == 0 or n == 4:
            top = re.search(r"\btop (\d+)\b", text)
            every = re.search(r"\b(?:ranked|in order|all ranked|rank them)\b", text)
            frame.rank_limit = int(top[1]) if top else (None if every else 1)
            if top:
                ent.take(top)
            elif every:  # "which had the most, ranked": every group, in order
                ent.take(every)
        sup = m.groupdict().get("sup") or ""
        frame.ranked_by = sup or "by"
        if sup in ("biggest", "largest"):
            frame.rank_desc = True
        elif sup == "smallest":
            frame.rank_desc = False
        elif sup:
            frame.rank_desc = sup in ("most", "highest", "slowest")
        if n == 0 and m["sup"]:
            ent.spans.append(m.span("sup"))
        by = re.search(r"\bby (?:the )?(?:number of|count of|most)?", text[span[1] :])
        if n == 1 and by:
            ent.spans.append((span[1] + by.start(), span[1] + by.end()))
        break
    people = r"(?:finishers|runners|results|people|entrants|athletes|starters)"
    m = re.search(
        r"\b(?:only |just )?(?:(?:races|events|groups|ones|states|divisions) )?(?:with|having) "
        r"(?:at least|a minimum of|min(?:imum)?|(?P<gt>more than|over)) (?P<n>\d+)"
        rf"(?: {people})?\b"
        r"|\bminimum(?: group)? size (?:of )?(?P<n2>\d+)\b"
        r"|(?:\b(?:among|of|for) )?\b(?:at least|a minimum of|min(?:imum)?) "
        rf"(?P<n3>\d+) {people}\b",
        text,
    )
    if m and m["n3"] and frame.ranked_by is None and not frame.group_by:
        m = None  # "at least 10 runners" with no groups: not a group size
    if m:
        size = int(m["n"] or m["n2"] or m["n3"])
        frame.min_group = size + 1 if m["gt"] else size
        ent.spans.append(m.span())


def _percentiles(ent: Entities, frame: Frame) -> None:
    text = ent.text
    m = re.search(
        r"\b(\d{1,2})(?:th|st|nd|rd)?(?:,? (?:and|&) (\d{1,2})(?:th|st|nd|rd)?)? "
        r"percentiles?\b|\bp(10|20|25|30|40|50|60|70|75|80|90|95|99)\b",
        text,
    )
    if m:
        found = [int(g) / 100 for g in m.groups() if g]
        frame.metric, frame.percentiles = "percentile", tuple(found)
        ent.take(m)
        return
    m = re.search(r"\b(?:what|which) (?:finish )?time did (\d{1,2}) ?(?:%|percent) of\b", text)
    beat = re.search(r"\b(?:beat|run under|finish under|finish within|finish faster than)\b", text)
    if m and beat:  # "what time did 90 percent of finishers beat": the 90th percentile
        frame.metric, frame.percentiles = "percentile", (int(m[1]) / 100,)
        ent.take(m)
        ent.take(beat)
        return
    m = re.search(r"\bquartiles?\b", text)
    if m:
        frame.metric, frame.percentiles = "percentile", (0.25, 0.5, 0.75)
        ent.take(m)
        return
    m = re.search(r"\bdeciles?\b", text)
    if m:
        frame.metric, frame.percentiles = "percentile", tuple(d / 10 for d in range(1, 10))
        ent.take(m)


def _measures(ent: Entities, frame: Frame) -> None:
    text = ent.text
    sd = re.search(r"\bstandard deviation\b|\bstd ?dev\b|\bstdev\b", text)
    if sd:
        frame.metric = "stddev"
        ent.take(sd)
    gap = re.search(
        r"\b(?:gap|difference|diff) between (?:the )?gun(?: time)? and (?:the )?chip(?: time)?"
        r"|\b(?:gap|difference|diff) between (?:the )?chip(?: time)? and (?:the )?gun(?: time)?"
        r"|\bgun(?: times?)? minus (?:the )?chip(?: times?)?"
        r"|\bhow much (?:longer|slower) (?:was|were|is) (?:the )?gun(?: times?)? than "
        r"(?:the )?chip(?: times?)?|\bgun[- ]to[- ]chip(?: gap| difference)?\b",
        text,
    )
    if gap:
        frame.measure = "gap"
        ent.take(gap)
        if re.search(r"\b(?:median|typical)\b", text):
            frame.metric = "median"
        elif re.search(r"\b(?:largest|biggest|longest|max(?:imum)?)\b", text):
            frame.metric = "max"
        elif frame.metric != "percentile":
            frame.metric = "avg"
        return
    old = re.search(
        r"\bhow old (?:was|were|is) the (?P<w>oldest|youngest)\b|\b(?:the )?age of the "
        r"(?P<w2>oldest|youngest)\b|\b(?P<w3>oldest|youngest) age\b",
        text,
    )
    if old:
        frame.measure = "age"
        frame.metric = "max" if "oldest" in old[0] else "min"
        ent.take(old)
        return
    who = re.search(
        r"\b(?:who (?:was|were|is|are) )?the (?P<w>oldest|youngest)"
        r"(?= (?:finishers?|runners?|wom[ae]n|m[ae]n|athletes?|people|person|entrants?)\b)",
        text,
    )
    if who:  # the runner(s) at the extreme age, ties all listed
        frame.measure, frame.metric, frame.top_n = "age", "top", 1
        frame.slowest = who["w"] == "oldest"
        ent.take(who)
        return
    km = re.search(
        r"\b(?:pace )?(?:in )?(?:(?:minutes|mins?) ?)?(?:per|a|/) ?(?:km|kilomet(?:er|re))\b", text
    )
    if km and re.search(r"\bpace\b", text):
        frame.measure = "pace_km"
        ent.take(km)
    mile = re.search(r"\b(?:pace )?(?:in )?(?:(?:minutes|mins?) ?)?(?:per |/ ?)mile\b", text)
    if mile and frame.measure != "pace_km":
        frame.measure = "pace"
        ent.take(mile)
    age = re.search(r"\b(?:average|mean|median|typical|avg) age\b", text)
    if age:
        frame.measure = "age"
        ent.spans.append((age.end() - 3, age.end()))
    m = re.search(r"\bwinning times?\b", text)
    if m:
        frame.metric, frame.measure = "min", "gun"
        ent.take(m)


def _years(ent: Entities, frame: Frame) -> None:
    text = ent.text
    y = r"((?:19|20)\d\d)"
    m = re.search(
        rf"\b(?:change|changed|go|went|grow|grew|shrink|shrank|differ)\w* (?:from|between) "
        rf"{y} (?:to|and) {y}\b|\b(?:in )?{y} (?:compared (?:to|with)|vs\.?|versus|against) "
        rf"(?:in )?{y}\b",
        text,
    )
    if not m:
        m = re.search(rf"\bcompar\w*\b.*?\b(?:in )?{y},? (?:and|with|to|vs\.?) (?:in )?{y}\b", text)
        if m:
            ent.take(re.search(r"\bcompar\w*\b", text))  # type: ignore[arg-type]
            m = re.search(rf"\b(?:in )?{y},? (?:and|with|to|vs\.?) (?:in )?{y}\b", text)
    if not m and IMPROVED.search(text):  # "in both 2023 and 2024 ... improved"
        m = re.search(
            rf"\b(?:in )?both {y} and {y}\b|\bin {y} and (?:in )?{y}\b"
            rf"|\b(?:between |from )?(?:the )?{y} (?:and|to) (?:the )?{y}"
            r"(?: (?:editions?|races?|runnings?)(?: of)?)?\b",
            text,
        )
    if not m:
        than = re.search(  # "ran faster at the 2024 X than in 2023": one person's two years
            r"\b(?:ran |got |were |was )?(?:a )?(?P<cmp>faster|slower|quicker)(?: times?)?\b"
            r"(?P<mid>.*?)\b(?P<y1>(?:19|20)\d\d)\b(?P<mid2>.*?)\bthan (?:in )?(?:the )?"
            r"(?P<y2>(?:19|20)\d\d)\b",
            text,
        )
        if than and than["y1"] != than["y2"]:
            later_first = int(than["y1"]) > int(than["y2"])
            faster = than["cmp"] != "slower"
            frame.years = tuple(sorted((int(than["y1"]), int(than["y2"]))))
            ent.year_from, ent.year_to = frame.years[0], frame.years[-1]
            frame.metric = "improved"
            frame.got_slower = faster != later_first
            ent.spans.append((than.start(), than.end("cmp") + (6 if " times" in than[0] else 0)))
            ent.spans.append(than.span("y1"))
            ent.spans.append((than.end("mid2"), than.end("y2")))  # "than in 2023"
        return
    found = sorted({int(g) for g in m.groups() if g})
    if len(found) == 2:
        frame.years = tuple(found)
        ent.year_from, ent.year_to = found[0], found[1]
        ent.take(m)


def _history(ent: Entities, frame: Frame) -> None:
    text = ent.text
    things = r"times|marathons?|half marathons?|halfs|halves|races?|events?|10ks?|5ks?|finishes"
    times = re.search(
        r"\b(?:(?P<n>\d+) or more|at least (?P<n2>\d+)|(?P<n3>\d+)\+|more than (?P<n4>\d+))"
        rf"(?P<mid>(?: [a-z']+){{0,4}}?) (?P<what>{things})\b",
        text,
    )
    if times:  # the words between may only be an event's name ("3 or more Boston Marathons")
        mid = times["mid"].split()
        unit = r"hours?|minutes?|mins?|seconds?|years?|miles?|k|km|runners?|people|finishers?"
        if (times["n3"] and mid) or any(w in VOCAB or re.fullmatch(unit, w) for w in mid):
            times = None
    if times:
        n = next(int(g) for g in (times["n"], times["n2"], times["n3"], times["n4"]) if g)
        frame.metric, frame.people = "repeat", True
        frame.min_results = n + 1 if times["n4"] else n
        ent.spans.append((times.start(), times.start("mid")))  # the words between stay
        if times["what"] in ("times", "finishes"):
            ent.take_group(times, "what")
        if LISTING.search(text) and not re.search(r"\bhow many\b|\bnumber of\b", text):
            frame.top_n = 100
        return
    if frame.participant_ids or frame.participant_name:
        return
    pb = re.search(
        r"\bset (?:a |new )?(?:personal (?:best|record)s?|pbs?|prs?)\b|\bpr'?e?d\b"
        r"|\b(?:prs|pbs|personal (?:bests|records)) (?:were|was) (?:run|set)\b"
        r"|\bnew (?:personal (?:best|record)s?|pbs?|prs?)\b"
        r"|\b(?:beat|bettered|improved on) (?:their|his|her) (?:previous |prior |old |own )?"
        r"(?:best(?: times?)?|prs?|pbs?|personal (?:best|record)s?)\b"
        r"|\bran (?:a )?(?:new )?(?:prs?|pbs?|personal (?:best|record)s?)\b",
        text,
    )
    if pb:
        frame.metric = "pb_set"
        ent.take(pb)
        return
    if re.search(r"\bhow many (?:prs|pbs|personal (?:bests|records))\b", text):
        frame.metric = "pb_set"
        ent.take(re.search(r"\b(?:prs|pbs|personal (?:bests|records))\b", text))  # type: ignore[arg-type]
        return
    if not frame.years and IMPROVED.search(text) and ent.year_from and ent.year_to:
        if ent.year_from != ent.year_to:  # "from 2022 to 2023": the two ends
            frame.years = (ent.year_from, ent.year_to)
    if len(frame.years) == 2:
        better = IMPROVED.search(text)
        if better:
            frame.metric = "improved"
            ent.take(better)
            most = re.search(r"\b(?:the )?most\b|\bbiggest improvements?\b", text)
            if most or LISTING.search(text) and not re.search(r"\bhow many\b", text):
                frame.top_n = ent.top_n or (1 if most else 100)
                if most:
                    ent.take(most)


def _population(ent: Entities, frame: Frame) -> None:
    """Who is counted, in words no entity covers: every race of an event, first-timers,
    runners from another state than the race's."""
    text = ent.text
    m = re.search(
        r"\b(?:across |in |over |for |at )?(?:all|every) (?:of (?:its|the) )?(?:races|distances"
        r"|race|distance)\b|\b(?:all|every) races? (?:combined|together)\b",
        text,
    )
    if m:
        frame.all_distances = True
        ent.take(m)
    m = re.search(
        r"\bfirst[- ]time(?:rs?)?\b|\bdebut(?:s|ed|ing)?\b|\b(?:their|his|her|a) first "
        r"(?=(?:marathons?|half(?: marathons?)?|10ks?|5ks?|races?)\b)",
        text,
    )
    if m:
        frame.debut = True
        ent.take(m)
    m = re.search(r"\bout[- ]of[- ]state(?:rs)?\b|\b(?P<in>in[- ]state|local)\b", text)
    if m:
        frame.out_of_state = not m["in"]
        ent.take(m)


def _every_edition(ent: Entities, frame: Frame) -> None:
    """ "How many have run every year of the X": people with a finish in every edition.
    ("How many finished X each year" stays a count per year.)"""
    text = ent.text
    m = re.search(
        r"\b(?:every|all) (?:single )?(?:year|edition)s? (?:of|at) the\b|\bevery (?:single )?"
        r"edition\b|\bevery single year\b|\bevery year (?:it|that it) (?:was|has been) held\b",
        text,
    )
    perfect = re.search(
        r"\b(?:have|has|who've|who have|who) (?:run|ran|finished|done|did|raced|completed)\b", text
    )
    if not m and perfect:
        m = re.search(r"\bevery year\b", text)
    if m and re.search(r"\bhow many\b|\bwho\b|\blist\b|\bnumber of\b", text):
        frame.every_edition = True
        frame.metric, frame.people = "repeat", True
        ent.take(m)
        if LISTING.search(text) and not re.search(r"\bhow many\b|\bnumber of\b", text):
            frame.top_n = 100


def read_shape(ent: Entities, frame: Frame, today: date) -> None:
    """Fill the frame's shape from the question (before the metric words are read)."""
    del today
    read_comparisons(ent, frame)
    _population(ent, frame)
    _years(ent, frame)
    _percentiles(ent, frame)
    _measures(ent, frame)
    _rank(ent, frame)
    _every_edition(ent, frame)
    if not frame.every_edition:
        _history(ent, frame)
