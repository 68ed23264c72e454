"""Words ``p88 ask`` understands without the catalog: function words and the keywords that
choose a metric, a grouping or a status. A word outside this list, the entities and the
catalog makes the question "not understood" (precision over recall)."""

from __future__ import annotations

import re

VOCAB = frozenset(
    """
    a about across all along also am an and any are as at average averages avg be been
    between breakdown by can count counts could did do does done entered entrants entries
    ever fastest female finish finished finisher finishers finishing finish-time find for
    from gave get give had has have held how i in is it its just least list many me mean
    median men more most much my names name number of on one or our over overall own people
    percent percentage person persons please participants participant participated race
    races racer racers ran result results run runner runners running show slowest so that
    the their them there these they this those time times timed to total tell under us was
    we were what when where which who whom whose with women year years you your chip gun
    pace paces typical distribution histogram spread pr prs pb pbs personal record records
    repeat returning again back came come qualifier qualifiers qualify qualified qualifying
    bq bqs dnf dnfs dns dq dqs disqualified start started starters registered signed up
    entrant events event group groups sex gender location locations reads read tags tag live
    current session sessions data timing latest recent recently crossed crossings mat mats
    active ours host hosted course share proportion fraction out quickest longest didn't t
    complete completed completing winner winners won win podium vs versus compared compare
    trend yearly annual annually home lived living based hometown grand masters master it's
    what's who's how's there's whats hows whos finishes year's took take taking among
    different distinct unique individual i'm im i've ive within kind sort anyone anybody
    someone runners' runner's got getting totals athletes athlete competitors competitor
    field division divisions category categories class race's event's marathoners sent drew
    brought attracted went averaged only line rate rates recorded posted logged
    """.split()
)

PR = re.compile(
    r"\b(?:prs?|pbs?|personal (?:best|record)s?|best (?:time|times) ever|lifetime best)\b"
)
REPEAT = re.compile(
    r"\b(?:repeat|returning)\b"
    r"|\b(?:more than once|multiple times|twice or more|again)\b"
    r"|\bcame back\b"
)
PERCENT = re.compile(r"\b(?:percent(?:age)?|share|proportion|fraction|rate)\b|%")
AVG = re.compile(r"\b(?:average|mean|avg)\b")
MEDIAN = re.compile(r"\b(?:median|typical)\b")
DISTRIBUTION = re.compile(r"\b(?:distribution|histogram|spread)\b")
MIN = re.compile(
    r"\b(?:fastest|best|quickest) (?:[\w-]+ ){0,2}(?:times?|paces?)\b|\bcourse record\b"
)
MAX = re.compile(r"\b(?:slowest|longest) (?:[\w-]+ ){0,2}(?:times?|paces?)\b")
TOP_WORDS = re.compile(r"\b(?:fastest|quickest|slowest)\b")
COUNT = re.compile(r"\b(?:how many|number of|count|total)\b")
LIST = re.compile(r"\b(?:list|show|who|which runners|find|names?|give me)\b")
BQ = re.compile(r"\bboston[- ]qualif\w*|\bbqs?\b|\bqualif\w* for (?:the )?boston\b")
EVENTS = re.compile(
    r"\b(?:how many|number of|count)\s+(?:(?:of|did)\s+)?(?:our\s+|active\s+|different\s+)*"
    r"(?:events|races)\b(?!\s+(?:did|has|have)\s+\w+\s+(?:run|ran))"
    r"|\b(?:list|show|which|what)\b(?:\s+me)?(?:\s+all)?(?:\s+of)?(?:\s+our|\s+the|\s+my)?"
    r"(?:\s+active|\s+recent)?\s+events\b"
)
PEOPLE = re.compile(r"\b(?:people|persons|unique|different|distinct|individual)\b")
ALL_YEARS = re.compile(
    r"\b(?:ever|all[- ]time|all years|every year|in total|overall|history|each year|per year"
    r"|course records?"
    r"|by year|year over year|over the years)\b"
)
STATUS = [
    (
        re.compile(
            r"\bdnfs?\b|\bdid(?: not|n't) finish\b|\bdropped out\b|\bdrop(?:ped)? ?outs?\b"
            r"|\bquit\b|\bdnf rate\b"
        ),
        "DNF",
    ),
    (re.compile(r"\bdns\b|\bdid(?: not|n't) start\b|\bno[- ]shows?\b"), "DNS"),
    (re.compile(r"\bdqs?\b|\bdisqualified\b"), "DQ"),
    (re.compile(r"\b(?:started|starters?|toed the (?:start(?:ing)? )?line)\b"), "started"),
    (
        re.compile(r"\b(?:entered|registered|entrants?|entries|signed up|participants?)\b"),
        "entered",
    ),
]
_EACH = r"\b(?:by|per|each|every|for each|across|all)(?: of)?(?: (?:our|the|their|its|all))?"
GROUPS = [
    (re.compile(r"\b(?:by|per|each|every|for each) (?:sex|gender)\b"
                r"|\bm[ae]n (?:vs|versus|and|or|compared to) wom[ae]n\b"
                r"|\bwom[ae]n (?:vs|versus|and|or|compared to) m[ae]n\b"
                r"|\b(?:male|males) (?:and|or|vs) (?:female|females)\b"
                r"|\b(?:female|females) (?:and|or|vs) (?:male|males)\b"), "sex"),
    (re.compile(_EACH + r" (?:age(?:[- ]?groups?)?|divisions?|age categor(?:y|ies))\b|\bby ag\b"
                r"|\b(?:division|age[- ]?group|ag)(?= (?:winners?|champions?|podiums?))"
                r"|\bage[- ]?group (?:breakdown|split|distribution|counts?)\b"
                r"|\b(?:their|his|her) (?:age[- ]?groups?|divisions?)\b"), "age_group"),
    (re.compile(r"\b(?:by|per|each|every|for each)(?: of)?(?: (?:our|the|its))?"
                r" (?:years?|editions?)\b|\byear over year\b|\btrend\b"
                r"|\bover the years\b|\byearly\b|\bannual(?:ly)?\b"), "year"),
    (re.compile(_EACH + r" (?:events?|races?|marathons?|half marathons?|halfs?|halves|10ks?"
                r"|5ks?)\b"), "event"),
    (re.compile(_EACH + r" (?:states?|home states?)\b"), "state"),
    (re.compile(_EACH + r" distances?\b"), "distance"),
    (re.compile(_EACH + r" (?:locations?|timing points?|points?|mats?)\b"), "location"),
]  # fmt: skip
LIVE = re.compile(
    r"\b(?:reads?|read count|tags?|timing data|live|crossings?|crossed|mats?)\b|\bsession \d+"
)
GUN = re.compile(r"\bgun(?: time)?\b")
CHIP = re.compile(r"\bchip(?: time)?\b|\bnet time\b")
RECENT = re.compile(r"\b(?:active|recent|upcoming)\b")
