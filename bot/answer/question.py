"""What a question asks for: its expected answer type, found from its wording."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache

from bot.answer.text import NUMBER_VALUES, STOPWORDS, YEAR, fold, stem

NUMBER_WORDS = [*NUMBER_VALUES, "sixteen", "seventeen", "eighteen", "nineteen"]
NUMBER_WORDS += ["sixty", "seventy", "eighty", "ninety", "twice", "dozen", "dozens"]
NUMBER_WORDS += ["hundred", "hundreds", "thousand", "thousands", "million", "millions", "billion", "billions"]
# Role words people type for titles documents write out: a question about "the CEO" or "the boss" is
# answered by "chief executive" (or a spun "chief govt": the first word still names the role).
ROLE_WORDS = {
    "boss": ("chief executive", "chief", "head", "director", "chair", "manager"),
    "ceo": ("chief executive", "chief"),
    "exec": ("chief executive", "executive", "chief"),
    "cfo": ("chief financial officer", "finance director"),
    "coo": ("chief operating officer",),
    "cto": ("chief technology officer", "technical director"),
    "md": ("managing director",),
    "vp": ("vice president", "vice-president"),
    "pm": ("prime minister",),
    "mp": ("member of parliament",),
    # "Mrs Justice Okafor-Lisle", "His Honour Judge Ellery" (spun: "His Honour Decide Ellery")
    "judge": ("mr justice", "mrs justice", "ms justice", "lord justice", "lady justice", "his honour", "her honour"),
}


_AFTER_ROLE = frozenset({"of", "for", "at", "is", "was", "said", "says", "who", "and", "s"})  # not "the md file"


def role_words_in(text: str) -> list[str]:
    """The role words a text uses, plurals too ("CEOs", "bosses"); a two-letter one ("PM", "MD") in
    capitals or, in lower case, after "the" and before "of/at/is…" or nothing ("who's the md of the bus
    company"; not "5 pm", "the md file", "in the pm")."""
    found = []
    tokens = re.findall(r"[\w’']+", text)
    for i, token in enumerate(tokens):
        word = fold(token)
        key = word if word in ROLE_WORDS else re.sub(r"(?<=ss)es$|s$", "", word)
        after_the = i > 0 and tokens[i - 1].lower() == "the" and (i < 2 or tokens[i - 2].lower() != "in")
        after_the = after_the and (i + 1 == len(tokens) or tokens[i + 1].lower() in _AFTER_ROLE)
        if key in ROLE_WORDS and (len(key) > 2 or token[:2].isupper() or after_the):
            found.append(key)
    return found


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october")
_MONTHS += ("november", "december")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CALENDAR = frozenset(_MONTHS + _WEEKDAYS)

# "May" and "March" are months only beside a number ("3 May", "March 2024"); alone they are words.
_PLAIN_MONTH = "(?:" + "|".join(m for m in _MONTHS if m not in ("may", "march")) + ")"
_ANY_MONTH = "(?:" + "|".join(_MONTHS) + ")"
_DAY_OF_MONTH = r"\d{1,2}(?:st|nd|rd|th)?"
_CALENDAR_DAY = (  # "19 June", "June 19th", "the 19th of June", "2024-06-19", a weekday
    rf"\b{_DAY_OF_MONTH}\s+(?:of\s+)?{_ANY_MONTH}\b|\b{_ANY_MONTH}\s+{_DAY_OF_MONTH}\b"
    rf"|\b\d{{4}}-\d\d-\d\d\b|\b(?:{'|'.join(_WEEKDAYS)})\b"
)
_YEAR = YEAR.pattern
_PERIODS = "day|night|week|weekend|month|year|decade|century|spring|summer|autumn|fall|winter"

# "one of our volunteers", "one another": no count ("only one of the councillors" is)
_NUMBER = re.compile(
    r"\d|\b(?:(?<=only )|(?<=just )|(?<=exactly )|(?!one\s+(?:of|another)\b))(" + "|".join(NUMBER_WORDS) + r")\b",
    re.IGNORECASE,
)
# the numbers of a date or a clock time ("at 07:40", "2:22 a.m."): never a count or an amount
_DATE_NUMBERS = re.compile(
    rf"{_CALENDAR_DAY}|{_YEAR}|\b{_ANY_MONTH}\s+{_YEAR}|\b\d{{1,2}}:\d\d\b(\s*[ap]\.?m\b\.?)?|\b\d{{1,2}}\s*[ap]\.?m\b\.?",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"[$€£¥₩]|\b\d[\d,.]*\s*(bn|m|billion|million|trillion)\b|\b(dollars?|euros?|pounds|roubles?|rubles?|yuan|yen)\b"
    r"|\d\s*won\b",  # "won" is a currency only after a number ("It won praise" is not money)
    re.IGNORECASE,
)
# an amount right after a word ("fined £1.2 million", "raised a total of £8.5m", "costs of £86,000")
_AMOUNT_AFTER_WORD = re.compile(
    r"\b([a-z][\w’'\-]{0,30}+)\s+(?:(?:of|at|for|by|a|an|the|total|some|about|around|nearly|almost|over|more|than|up|to)\s+)"
    r"{0,3}(?:[$€£¥]\s?\d|\d[\d,.]*\s?(?:p|pence)\b(?!\.?\s?m\b)|\d[\d,.]*\s?(?:bn|m|billion|million)?\s?(?:pounds|dollars|euros)\b)",
    re.IGNORECASE,
)
_DATE_OR_TIME = (
    rf"{_CALENDAR_DAY}|{_YEAR}|\b{_PLAIN_MONTH}\b|\b(?:may|march)\s+(?:of\s+)?{_YEAR}"
    r"|o'clock|\b\d{1,2}(:\d\d)?\s*([ap]\.?m\b)|\b\d{1,2}:\d\d\b"
)
# A relative date ("last month", "earlier this year", "three weeks ago", "yesterday", "in the morning")
# answers "when", but ranks no candidate: an opening sentence's "over the weekend" is no answer to "when
# was the fire first spotted?" beside "first reported at about 3.40pm on Saturday 10 August".
_DATE = re.compile(
    _DATE_OR_TIME + r"|\b(morning|evening|noon|midnight)\b"
    rf"|\b(last|next|this|previous|past|final|coming|following|same)\s+({_PERIODS})s?\b"
    r"|\b(yesterday|today|tonight|tomorrow|ago)\b",
    re.IGNORECASE,
)
_RANKED_DATE = re.compile(_DATE_OR_TIME, re.IGNORECASE)
_DAY = re.compile(rf"{_CALENDAR_DAY}|\b(yesterday|today|tomorrow)\b", re.IGNORECASE)
_PERCENT = re.compile(  # "18 p.c." is how spun news text writes per cent
    r"%|\bper ?cent\b|\d\s?p\.\s?c\b|\bpercentage\b|\bhalf\b"
    r"|\b(a|one|two|three|four)\s+(thirds?|quarters?|fifths?|tenths?)\b",
    re.IGNORECASE,
)
_PLACE = re.compile(  # a capitalised name after a place preposition ("flew on to Vietnam", "in Hull")
    r"(?<![Aa]ccording )\b(?i:at|in|on|to|from|into|near|inside|outside|across|toward|towards)\s+(?:the\s+)?"
    r"([A-Z][\w’'\-]+)"
)
NAME = re.compile(r"\b[A-Z][a-z’'\-]+(?:\s+(?:[A-Z][a-z’'\-]+|bin|de|van|von|al))+\b")
# a name ending in one of these is an organisation's or a place's, not a person's ("Thornfield Creamery");
# words that are also common surnames (Hall, Park, Bank, Church, House, Court) are left out
_NOT_A_PERSON = re.compile(
    r"(?:^|\s)(?:Ltd|Limited|Inc|plc|Company|Group|Council|Ministry|Department|Agency|Authority|Directorate|Trust|"
    r"Foundation|University|College|School|Hospital|Museum|Gallery|Library|Creamery|Bank|Airport|Air|Airways|"
    r"Station|Square|Street|Road|Centre|Center|Market|Markets|Bridge|River|Estuary|Sea|Island|Islands|Valley|"
    r"Reservoir|Cathedral|Palace|Party|Assembly|Parliament|Club|Union|Association|Academy|Institute|Service|Services|"
    r"Fund|Board|Committee|Commission|Network|Holdings|Systems|Energy|Airlines|Ventures|Capital|Partners|Programme)$"
)
# An amount: digits that are not part of a sum of money ("£12m" is no length), or a number word followed by
# a space or hyphen ("at" is not "a t"); one word may stand between it and the unit ("12 nautical miles").
_AMOUNT = (
    r"(?:(?<![$€£¥\d.,])\d[\d,.]*[\s\-]?|\b(?:a|an|half|a few|several|" + "|".join(NUMBER_WORDS) + r")[\s\-])"
    r"(?:[a-z\-]+\s+)?"
)
_LENGTH_UNITS = r"km|m|cm|mm|ft|kilometres?|kilometers?|metres?|meters?|miles?|feet|foot|inch(?:es)?|yards?|storeys?"
_WEIGHT_UNITS = r"kg|g|grams?|kilograms?|kilos?|tonnes?|tons?|pounds|lbs?|oz|ounces?|stone"
_TIME_UNITS = r"secs?|seconds?|mins?|minutes?|hrs?|hours?|days?|weeks?|months?|years?|decades?|centur(?:y|ies)"
_SPEED_UNITS = r"mph|km/h|kmh|kph|knots?|m/s|(?:miles|kilometres|kilometers|km) (?:an|per) hour"
_SPEED_UNITS += r"|(?:metres|meters) per second"
_MEASURE = {  # a number with a unit of what is measured: "how tall" needs metres or feet, not any number
    kind: re.compile(rf"{_AMOUNT}(?:{units})\b", re.IGNORECASE)
    for kind, units in (
        ("length", _LENGTH_UNITS),
        ("weight", _WEIGHT_UNITS),
        ("duration or length", f"{_TIME_UNITS}|{_LENGTH_UNITS}"),
        ("duration", _TIME_UNITS),
        ("speed", _SPEED_UNITS),
    )
}
# "how many tonnes/km/days": the counted noun is a unit, so the answer needs an amount in that unit
# ("pounds" is left out: "how many pounds did the tickets cost?" asks for money)
_UNIT_DETAILS = (("length", _LENGTH_UNITS), ("weight", _WEIGHT_UNITS.replace("|pounds", "")), ("duration", _TIME_UNITS))
# a cause or purpose, said in so many words
_REASON = re.compile(
    r"\b(because|due to|owing to|thanks to|as a result|result of|caused|causes?|reasons?|led to|leads to|"
    r"driven (?:\w+ly )?by|in order to|so that|aims? to|aimed at|blamed|attributed to|motivated|prompted|triggered)\b",
    re.IGNORECASE,
)
# an age: "44-year-old", "aged 44", "at the age of 44", "44 years old", "Calum Ferrie, 44,", or the year it
# began ("born in 1981", "built in 1891")
_AGE = re.compile(
    r"\b(?:\d{1,3}|[a-z]+)[\s\-]years?[\s\-]old\b|\baged\s+\d{1,3}\b|\bage of \d{1,3}\b|(?<=[a-z]),\s\d{1,3}[,.]"
    r"|(?<=[a-z])\s\(\d{1,3}\)|\b(?:born|built|founded|established|opened|launched)\s+in\s+(?:[a-z]+\s+)?\d{4}\b",
    re.IGNORECASE,
)
# lower case only: "Cllr Sarah Green", "Bethnal Green", "the Red Cross" are names, not colours
_COLOUR = re.compile(
    r"\b(?:red|orange|yellow|green|blue|purple|violet|pink|brown|black|white|grey|gray|silver|gold|golden|"
    r"beige|cream|turquoise|teal|navy|maroon|crimson|scarlet|amber)\b"
)
# a cause of death, said in so many words: "died of exposure", "the cause was pneumonia", "after a short
# illness", "killed in a crash", "drowned" (not "died at home", "died aged 92", "died at the age of 91",
# "after the death of her husband", "Cancer Research UK", "a stroke of luck")
_CAUSE_OF_DEATH = re.compile(
    r"\b(?:died|dies)\s+(?:\w+ly\s+)?(?:of|from)\s|\bcause (?:of (?:her |his |their )?death )?(?:was|is)\b"
    r"|\bkilled\b|\bdrown(?:ed|ing)\b|\bbattle with\b"
    r"|\b(?:after|following) (?:a|an|her|his|their) (?:\w+ )?(?:fall|operation|surgery)\b"
    r"|(?-i:\b(?:illness|cancer|pneumonia|stroke(?! of\b)|heart attack|heart failure|disease|dementia|complications"
    r"|injuries|suicide|natural causes|covid|infection|overdose|sepsis|hypothermia|exposure|accident|crash"
    r"|collision|leuk(?:a)?emia|tumour|tumor)\b)",
    re.IGNORECASE,
)
_DETAIL = {"day": _DAY, "percent": _PERCENT, "age": _AGE, "colour": _COLOUR, "cause of death": _CAUSE_OF_DEATH}
_DETAIL |= _MEASURE


@dataclass(frozen=True)
class QuestionType:
    """The kind of answer expected. A `required` type declines when the quoted passage has none; a
    `detail` narrows that check ("what exact date" needs a calendar day, not just a year). An
    "identity" question ("what's the name of the satellite?", "who was the diplomat in Moscow?")
    needs a name tied to its head noun (`focus`). `known`: the words the question (and the earlier
    turn of a follow-up) already use, which an answer's name must not merely repeat."""

    name: str
    required: bool = False
    detail: str = ""
    focus: str = ""
    known: frozenset[str] = frozenset()
    abbreviated: bool = False  # the head noun is not a word of the documents: match it as a prefix
    synonyms: tuple[str, ...] = ()  # the passages' words for the head noun ("vessel" for "boat")
    kinds: tuple[str, ...] = ()  # the passages' words for kinds of it ("limousine" for "car"), after a name
    action: str = ""  # the verb of "who <verb>ed ...?": "led" in "who led the survey?"

    @property
    def described(self) -> str:
        """What the question asks for, in words for a decline message."""
        words = {
            "day": "exact date",
            "percent": "percentage",
            "money": "amount",
            "identity": f"name of the {self.focus}",
        }
        return words.get(self.detail or self.name, self.detail or self.name)

    def matches(self, sentence: str) -> bool:
        """Whether a sentence carries this type of answer (used to rank candidates); with a detail, the
        detail ("what exact date" wants a calendar day, "how tall" a length)."""
        if self.detail in _DETAIL:
            return bool(_DETAIL[self.detail].search(sentence))
        if self.name == "identity":
            return self.names_focus(sentence)
        if self.name == "number" and self.focus:  # "how many articles": a number of articles
            undated = _DATE_NUMBERS.sub(" ", sentence)
            return bool(counted_pattern(self.focus).search(undated) or totalled_pattern(self.focus).search(undated))
        if self.name == "number":  # a count or amount, not the day or year of a date
            return has_number(sentence)
        if self.name == "person":  # a new name that is not an organisation's or a place's
            return any(
                self.is_new_name(m.group(0)) and not _NOT_A_PERSON.search(m.group(0)) for m in NAME.finditer(sentence)
            )
        if self.name == "place":
            return any(self.is_new_name(m.group(1)) for m in _PLACE.finditer(sentence))
        pattern = {"money": _MONEY, "date": _RANKED_DATE, "reason": _REASON}.get(self.name)
        return bool(pattern.search(sentence)) if pattern else False

    def counts(self, sentence: str) -> bool:
        """A number right before the noun "how many" counts ("12 stops"): strong evidence of the answer."""
        return bool(counted_pattern(self.focus).search(_DATE_NUMBERS.sub(" ", sentence)))

    def binds_amount(self, sentence: str) -> bool:
        """An amount right after a word of the question: "how much did the creamery get fined?" is answered
        by "has been fined £1.2 million": strong evidence of the answer."""
        bound = (stem(m.group(1).lower()) for m in _AMOUNT_AFTER_WORD.finditer(sentence))
        return any(same_word(word, other) for word in bound for other in self.asked_stems)

    @cached_property
    def asked_stems(self) -> tuple[str, ...]:
        """The stems of the question's words, checked against every candidate sentence."""
        return tuple(stem(w) for w in self.known if w not in STOPWORDS)

    def binds(self, sentence: str) -> bool:
        """A new person's name bound to the question's verb: "led by Professor Helen Achterberg", "Owen
        Brantwell founded", "Jane Roe, the curator, found" (not "led to protests by Greenpeace")."""
        if not self.action:
            return False
        name = r"\b((?-i:[A-Z])[\w’'\-]+(?:\s+(?-i:[A-Z])[\w’'\-]+){0,3})"
        verb = f"(?-i:{re.escape(self.action)})"
        patterns = [
            rf"\b{verb}\s+(?:(?!to\b)[\w,]+\s+){{0,3}}by\s+(?:(?-i:[a-z\-]+)\s+){{0,3}}{name}",
            rf"{name}(?:,[^,.]{{1,60}},)?\s+(?:\w+ly\s+)?{verb}\b",
        ]
        found = (m.group(1) for p in patterns for m in re.finditer(p, sentence, re.IGNORECASE))
        return any(self.is_new_name(n) and not _NOT_A_PERSON.search(n) for n in found)

    def answered_by(self, quote: str) -> bool:
        """Whether a quoted span gives what a required type asks for (its detail, when it has one)."""
        detail = _DETAIL.get(self.detail)
        if detail:
            return bool(detail.search(quote))
        if self.name == "date":
            return bool(_DATE.search(quote))
        return has_number(quote) if self.name == "number" else self.matches(quote)

    def is_new_name(self, name: str) -> bool:
        """A name the question does not already use, not a calendar word or a capitalised function word."""
        parts = [re.sub(r"'s$", "", fold(w)) for w in name.split()]
        parts = [p for p in parts if p not in STOPWORDS and p not in _CALENDAR]
        return bool(parts) and not all(p in self.known for p in parts)

    def names_focus(self, sentence: str) -> bool:
        """A new name tied to the head noun: right after it ("the satellite Malligyong-1"), in apposition
        or as the subject of "is/was/worked as the <head>", after "the <head> was", "named"/"called", or
        before it when the head is part of the name ("the Harrow Foundation"). A long head matches on its
        first six letters, so "spokesperson" finds "spokesman"; an abbreviated one (a head the documents
        never use) as a prefix, so "prof" finds "professor"."""
        heads = [_head_pattern(self.focus, self.abbreviated), *(_whole_word(w) for w in self.synonyms)]
        head = "(?:" + "|".join(heads) + ")"
        capitalised = "(?:" + "|".join(f"(?-i:{h[0].upper()}){h[1:]}" for h in heads) + ")"
        name = r"((?-i:[A-Z])[\w’'\-]+)"
        role = r"(?:a|an|the)\s+(?:[\w’'\-]+\s+){0,3}"
        patterns = [
            rf"\b{head}[,:]?\s+[“\"']?{name}",  # "spokesman Lin Jian", 'petition "Keep Pellbury Lit"', "Treasurer: X"
            rf"{name},\s+(?:{role})?{head}",  # "Ramon Pacheco Pardo, a professor", "Robert Dover, professor"
            rf"{name}\s+\((?:{role})?{head}",  # a list of people: "Graham Tolley (Treasurer)"
            rf"{name},?\s+(?:who\s+)?(?:is|was|became|served as|worked as|has been|had been)\s+{role}{head}",
            rf"\b{head}\s+(?:is|was|has been|had been)\s+{name}",  # "the librarian was Philip Larkin"
            rf"\b(?:named|called|dubbed|known as)\s+[“\"']?{name}",
            rf"{name}\s+{capitalised}",  # part of the name: "the Harrow Foundation"
        ]
        if self.kinds:  # a make (and model number) before a kind of the thing: "an ATR 72-600 turboprop", "a
            # Russian-made Aurus limousine" for "what car" (not a demonym nor an acronym, "the Russian
            # president", "a UK company", nor a sentence's first word)
            kinds = "|".join(_whole_word(w) for w in self.kinds)
            make = rf"(?<=[a-z,\-]\s)(?!{_DEMONYM}\s){name}(?:\s+[\w\-]*\d[\w\-]*)?\s+(?-i:(?:{kinds}))"
            patterns.append(make)
        # a title of two words keeps its first when a reworded text changes the second ("chief govt X")
        titles = [re.escape(w.split()[0]) for w in self.synonyms if " " in w and w.split()[0] not in _HONORIFICS]
        if titles:
            title = rf"\b(?:{'|'.join(titles)})\s+(?-i:[a-z]+)"
            # after a comma, only in apposition: "chief government, Fiona Marchetti, said" (not "chief worry,
            # Fiona Marchetti said, was…")
            patterns += [rf"{title}\s+{name}", rf"{title},\s+{name}(?=(?:\s+(?-i:[A-Z])[\w’'\-]+)*,)"]
        found = (m.group(1) for p in patterns for m in re.finditer(p, sentence, re.IGNORECASE))
        if any(self.is_new_name(n) for n in found):
            return True
        # a company's name says what it is: "Brightwater Pyrotechnics Ltd" names "the fireworks company"
        return self.focus in _FIRM_HEADS and any(self.is_new_name(m.group(1)) for m in _FIRM_NAME.finditer(sentence))


# the first word of a title that is no role: "Mrs Justice X" is a judge, "Mrs Smith" anyone
_HONORIFICS = STOPWORDS | {"mr", "mrs", "ms", "miss", "lord", "lady", "sir", "dame", "his", "her"}
# a capitalised word that says where someone is from, not what something is called
_DEMONYM = (
    r"(?-i:[A-Z]\w*(?:an|ese|ish|ic)|UK|US|USA|EU|UN"  # "a UK company" (but "a VW van", "an ATR 72-600")
    r"|Dutch|French|Swiss|Greek|Thai|Welsh|Scots|Czech|Basque|Saudi|Iraqi|Israeli)\b"
)
_FIRM_HEADS = frozenset({"company", "firm", "business", "operator", "manufacturer", "maker", "supplier", "producer"})
_FIRM_HEADS |= {"retailer", "wholesaler", "developer", "contractor", "startup", "start-up", "employer", "brand"}
# a company by what it does ("Carrow Dynamics, a defence producer"; spun, "the Merovian agency that owns the
# trawler"), for the generic heads only: a developer, operator or employer may be a person
_GENERIC_FIRM_HEADS = frozenset({"company", "firm", "business"})
_FIRM_WORDS = _GENERIC_FIRM_HEADS | {"maker", "manufacturer", "supplier", "producer", "agency"}
_FIRM_NAME = re.compile(r"\b((?:[A-Z][\w&'’\-]+\s+){1,4}(?:Ltd|Limited|plc|PLC|Inc|LLC|LLP|GmbH|Co)\b\.?)")


def _head_pattern(word: str, abbreviated: bool) -> str:
    """A head noun in a sentence: a long or abbreviated one by its first six letters or as a prefix."""
    if len(word) > 6 or abbreviated:
        return re.escape(word[:6]) + r"\w*"
    return re.escape(word) + r"(?:s|es)?\b"


def _whole_word(word: str) -> str:
    """A synonym of the head noun, matched whole ("chief financial officer", "vessel" or "vessels")."""
    return re.escape(word) + r"(?:s|es)?\b"


def same_word(a: str, b: str) -> bool:
    """Two stems of one word: equal, or one the other's beginning but a letter ("fin" of "fined" and "fine";
    not "final")."""
    shorter, longer = sorted((a, b), key=len)
    return shorter == longer or (len(shorter) >= 3 and longer.startswith(shorter) and len(longer) - len(shorter) <= 1)


def has_number(text: str) -> bool:
    """A count or amount, not the day or year of a date."""
    return bool(_NUMBER.search(_DATE_NUMBERS.sub(" ", text)))


_COUNTED = re.compile(r"\bhow many\s+(?:(?:more|other|new|of|the|such)\s+)*")
COUNT_GAP = 2  # words allowed between a number and the thing it counts ("23 new articles")
_PLURALS = frozenset({"people", "children", "men", "women", "staff", "crew", "police", "cattle", "sheep", "fish"})
# counted nouns too general to be the documents' word: "how many people finished" is answered by "4,210
# runners finished", "how many people lost their jobs" by "the loss of 312 jobs"
_GENERIC_COUNTED = frozenset({"people", "persons", "folk", "folks", "things"})
_NOT_COUNTED = frozenset(
    {"bus", "gas", "news", "lens", "chaos", "plus", "yes", "this", "its", "his", "was", "is", "has"}
)


def count_focus(folded_question: str) -> str:
    """The thing a "how many" question counts: the first plural of the phrase after "how many" ("how many
    more troops" -> "troops", "how many marathon runners went" -> "runners", "how many seats Labour
    holds" -> "seats"), else its first word; empty when that is not a noun ("how many did they sell?") or
    too general to be the documents' word ("how many people…")."""
    match = _COUNTED.search(folded_question)
    if not match:
        return ""
    phrase = []  # up to four words, to a function word or punctuation ("paintings/artworks" -> paintings)
    for word in re.findall(r"[a-z][a-z\-]*|[^a-z\s]+", folded_question[match.end() :])[:4]:
        if word in STOPWORDS or not word[0].isalpha() or len(word) < 2:
            break
        phrase.append(word)
    plurals = [
        w for w in phrase if w in _PLURALS or (w.endswith("s") and not w.endswith("ss") and w not in _NOT_COUNTED)
    ]
    focus = plurals[0] if plurals else phrase[0] if phrase else ""
    return "" if focus in _GENERIC_COUNTED else focus


@lru_cache(maxsize=256)
def counted_pattern(focus: str) -> re.Pattern[str]:
    """A number, then up to COUNT_GAP words (not "of": "one of the articles" is no count), then the
    counted noun in any number ("articles" also finds "article", "countries" finds "country")."""
    number = rf"\b(?:\d[\d,.]*|{'|'.join(NUMBER_WORDS)})\b"
    return re.compile(rf"{number}\s+(?:(?!of\b)[\w\-]+\s+){{0,{COUNT_GAP}}}{count_stem(focus)}\w{{0,3}}\b", re.I)


def count_stem(noun: str) -> str:
    """The counted noun without its ending, escaped: "countries" and "country" share "countr"."""
    return re.escape(re.sub(r"(ies|es|s|y|e)$", "", noun))


@lru_cache(maxsize=256)
def totalled_pattern(focus: str) -> re.Pattern[str]:
    """The counted noun, then within a few words of the same sentence a number that is not a percentage
    nor an ordinal: "visits across the network rose by 8.4% to 412,380", "Total visits: 412,380" (not
    "Article 4", a label right after the noun)."""
    number = r"\d[\d,]*(?![\d.,]*\s*(?:%|per ?cent|pc\b))(?![a-z])"
    gap = r"(?:\s+\S*[^\s.!?;])"  # words within the sentence
    # punctuation may stand between the noun and the number ("visits: 412,380"), a space alone may not
    between = rf"(?:[^\w\s]+{gap}{{0,8}}?|(?!\s+\d){gap}{{1,8}}?)"
    return re.compile(rf"\b{count_stem(focus)}\w{{0,3}}\b{between}\s*{number}", re.I)


_IDENTITY = re.compile(
    r"\b(?:what|what's|whats)\s+(?:is\s+|was\s+|are\s+|were\s+)?(?:the|his|her|their|its)\s+names?\s+of\s+"
    r"(?:the\s+|a\s+|an\s+)?"
    r"|\bwho\s*(?:is|was|'s|’s)\s+(?:the|[a-z][\w\-]*['’]s)\s+"
    # "what's the petition against the dimming called?", "what were her kids called"
    r"|\b(?:what|what's|whats)\s+(?:is\s+|was\s+|are\s+|were\s+)?(?=(?:the|his|her|their|its)\s[^?]*\bcalled\b)"
    r"(?:the|his|her|their|its)\s+",
    re.IGNORECASE,
)


def identity_head(question: str) -> str:
    """The head noun of "the name of the <noun phrase>" / "who is the <noun phrase>": the phrase runs to
    the first function word, or to a capitalised word once it has a lower-case one ("the two dogs Kim
    gave" -> "dogs"). Empty when the question is not of that form."""
    match = _IDENTITY.search(question)
    if not match:
        return ""
    head = ""
    phrase = re.findall(r"[\w’'\-]+", question[match.end() :])
    padded = [*phrase, "", ""]
    for i, word in enumerate(phrase):
        following, after = padded[i + 1], padded[i + 2]
        lowered = fold(word)
        if lowered in STOPWORDS or lowered == "called" or (word[0].isupper() and head and head.islower()):
            break
        if head and is_participle(lowered) and fold(following) in STOPWORDS:
            break  # "the professor quoted in…", "the group campaigning against…"; not "the town planning officer"
        if head and is_participle(fold(following)) and not after:
            break  # the subject of a clause without "that" that ends the question: "the atlas elsworth made"
        if lowered not in NUMBER_WORDS and lowered not in {"first", "second", "new", "old"}:
            head = word
    return fold(head)


def compound_tail(question: str, head: str) -> str:
    """The noun that ends "the <head> of <words> <noun>": in "who is the university of hull professor?"
    the person asked about is the professor, so a name tied to "professor" answers too. Empty when a
    function word follows "of" ("the head of the museum") or one word ends the phrase ("the head of
    state")."""
    match = _IDENTITY.search(question)
    words = [fold(w) for w in re.findall(r"[\w’'\-]+", question[match.end() :])] if match else []
    start = words.index(head) + 1 if head in words else len(words)
    if words[start : start + 1] != ["of"]:
        return ""
    phrase = list(itertools.takewhile(lambda w: w not in STOPWORDS and not is_participle(w), words[start + 1 :]))
    return phrase[-1] if 2 <= len(phrase) <= 3 else ""


_RULES: list[tuple[str, QuestionType]] = [
    (
        r"\b(exact|precise) (date|day)\b|\b(what|which) (date|day)\b",
        QuestionType("date", required=True, detail="day"),
    ),
    (
        r"\bwhat (percentage|percent|proportion|fraction|share)\b|\bhow many per ?cent\b",
        QuestionType("number", required=True, detail="percent"),
    ),
    (  # a change is given as a percentage as often as an amount: "how much had the share price dropped?"
        r"\bhow much\b(?:(?!\b(?:pay|paid|cost|spend|spent|earn)\b).)*\b(?:drop|dropped|fall|fell|fallen|rise|rose|"
        r"risen|increase|increased|decrease|decreased|grow|grew|grown|jump|jumped|climb|climbed|slump|slumped|plunge|plunged|"
        r"shrink|shrank|shrunk|go up|went up|gone up|go down|went down|gone down)\b",
        QuestionType("number", required=True),
    ),
    (
        r"\bhow much (money|did .* (pay|cost|spend|earn|get paid))|\bhow much .*\b(paid|cost|costs|worth|price|spent|"
        r"spend|pay|earn)\b"
        # what is charged, raised or paid out: "how much does it charge", "how big a bonus"
        r"|\bhow (?:much|big|large)\b.*\b(?:bonus|fine|fined|fee|fees|fare|bail|bill|salary|wage|grant|loan|reward|"
        r"budget|compensation|compo|donation|rent|payout|settlement|charge|charges|charged|raise|raised|fetch|fetched|"
        r"sell for|sold for|donate|donated|owe|owed)\b"
        r"|\bwhat(?:'s| was| is| were| are) the (?:[a-z\-]+ )?(price|cost|value|bill|fee|fare|salary|wage|pay|budget|"
        r"fine|reward|prize|(?:hourly|daily|weekly|pay) rate)s?\b",
        QuestionType("money", required=True),
    ),
    (
        # "when" asks for a date only as the question word ("when did...", "when's...", "...when?"), not
        # in a clause such as "who opened the doors when they swapped seats?"
        r"\b(what|which|in what) (year|month)\b|\bwhat time\b|\b(since|until|till) when\b|\bwhen('s|'d)\b"
        r"|\bwhen (did|does|do|was|is|were|are|will|would|has|have|had|can|could|should)\b|\bwhen\s*\?*\s*$",
        QuestionType("date", required=True),
    ),
    # "how old was X when Y?" is computed first (bot/answer/arithmetic.py); otherwise an age is asked for
    (r"\bhow old\b(?!-)", QuestionType("number", required=True, detail="age")),
    (
        r"\bwhat (?:did|does|has) \w+(?: \w+){0,3} die (?:of|from)\b"
        r"|\bhow did \w+(?: \w+){0,3} die(?![\w\-])(?!\s+(?:out|down|off|away|so|too)\b)"
        r"|\bcause of (?:\w+ )?death\b",
        QuestionType("reason", required=True, detail="cause of death"),
    ),
    (r"\b(?:what|which) colou?rs?\b", QuestionType("colour", required=True, detail="colour")),
    # "how far/high" stay plain numbers: "how far did prices fall?" is answered by a percentage
    (r"\bhow (tall|wide|deep)\b", QuestionType("number", required=True, detail="length")),
    (r"\bhow heavy\b", QuestionType("number", required=True, detail="weight")),
    (r"\bhow long\b", QuestionType("number", required=True, detail="duration or length")),
    (r"\b(top|maximum|max|average|cruising) speed\b", QuestionType("number", required=True, detail="speed")),
    (
        r"\bhow (many|much|far|high|old|big|large|often)\b|\bwhat number\b",
        QuestionType("number", required=True),
    ),
    (
        r"(^|[,;:]\s*)((and|but|so|then|ok|okay)\s+)?(who|whom|whose)\b|\bwho(?:'s| is| was)\b"
        r"|\bwhich (expert|person|official|minister|spokesman|spokesperson|professor|leader|analyst)\b",
        QuestionType("person"),
    ),
    (
        r"(^|[,;:]\s*)((and|but|so|then)\s+)?where\b|\bin (which|what) (city|town|country|place|region)\b",
        QuestionType("place"),
    ),
    (
        r"\bwhy\b|\bhow come\b|\bfor what reason\b|\bwhat('s| is| was) the (reason|cause)\b"
        r"|\bwhat (\w+ly )?(caused|causes|led to|made|prompted|triggered|drove)\b",
        QuestionType("reason"),
    ),
]


_WHICH = re.compile(
    r"\b(?i:which|what)\s+((?:[A-Z][\w\-]*\s+|(?:other|new|first|last|two|three)\s+)*)([a-z][a-z\-]{2,})\b"
)
_NOT_A_HEAD = frozenset({"kind", "sort", "type", "exactly", "else", "happened", "about"})


def which_head(question: str) -> str:
    """The noun a "which/what <noun> ..." question asks to identify ("which Russian minister oversaw it?"
    -> "minister", "what car did they ride in?" -> "car"): the first lower-case word after "which/what",
    skipping capitalised and ordinal adjectives. Empty when that word is a function word or says nothing of a kind."""
    match = _WHICH.search(question)
    if not match:
        return ""
    head = fold(match.group(2))
    if head in STOPWORDS or head in _NOT_A_HEAD or head in NUMBER_WORDS or head.endswith("ed"):
        return ""
    return head


_IRREGULAR_PAST = (
    "led|built|wrote|made|ran|won|took|gave|said|told|saw|began|set|brought|bought|sold|paid|drove|chose|found|"
    "held|kept|lost|met|sent|spent|struck|taught|caught|fought|flew|grew|knew|shot|spoke|stole|broke|hid|sang|"
    "used|died|fled|sued|owned"
)
_WHO_VERB = re.compile(
    rf"\bwho\s+(?:(?:first|originally|actually|really|\w+ly)\s+)?([a-z]{{3,}}ed|{_IRREGULAR_PAST})\b"
)


_NOT_A_ROLE = ("ed", "ing", "ible", "able", "ful", "ous")
_PARTICIPLES = frozenset(_IRREGULAR_PAST.split("|")) | {"born", "known", "seen", "given", "taken", "shown", "chosen"}
_PARTICIPLES |= {"written", "driven", "hurt", "left"}


def is_participle(word: str) -> bool:
    """A word that may be a participle ("quoted", "campaigning", "led"), or a noun such as "building": the
    caller tells them apart by what follows."""
    return word in _PARTICIPLES or (len(word) > 4 and word.endswith("ed")) or (len(word) > 5 and word.endswith("ing"))


def is_participle_or_adjective(word: str) -> bool:
    """ "born", "killed", "responsible": what follows "who was" without being a role ("captain")."""
    return word in STOPWORDS or word in _PARTICIPLES or word.endswith(_NOT_A_ROLE)


_WHO_ROLE = re.compile(r"\bwho\s*(?:is|was|'s|’s)\s+((?-i:[a-z])[\w\-]*)\s+(?:of|at|for|in)\b", re.I)


def who_verb(folded_question: str) -> str:
    """The past-tense verb of "who <verb>ed ...?" ("who led the survey?" -> "led"); empty otherwise."""
    match = _WHO_VERB.search(folded_question)
    return match.group(1) if match else ""


def _standard_question_word(match: re.Match[str]) -> str:
    """Chat spellings of question words: "hows much" is "how much", "whens" is "when's"."""
    word = match.group(1)
    return word if word.lower() == "how" else f"{word}'s"


def identity(head: str, known: frozenset[str], required: bool = False) -> QuestionType:
    """A question for a name tied to its head noun; a role word's written-out titles count as the noun."""
    synonyms = ROLE_WORDS.get(head, ())
    if head in _GENERIC_FIRM_HEADS:  # a company is named by what it does: "Carrow Dynamics, a defence producer"
        synonyms = tuple(sorted(_FIRM_WORDS - {head}))
    return QuestionType("identity", required=required, focus=head, known=known, synonyms=synonyms)


def question_type(question: str, context: str = "") -> QuestionType:
    """The answer type asked for. `context` is the earlier turn a follow-up refers to: a name it already
    gave is not the new name "and who said that?" asks for."""
    known = frozenset(fold(w) for w in re.findall(r"[\w’'\-]+", f"{question} {context}"))
    question = re.sub(r"\b(how|what|who|where|when|why)s\b", _standard_question_word, question, flags=re.I)
    head = identity_head(question)
    if head:
        kind = identity(head, known, required=True)
        tail = compound_tail(question, head)
        return replace(kind, synonyms=(*kind.synonyms, tail)) if tail else kind
    folded = fold(question)
    role = _WHO_ROLE.search(question)
    if role and not is_participle_or_adjective(fold(role.group(1))):
        # "who was captain of the Corvina?": a name for "captain" (not "who was born in Leeds?")
        return identity(fold(role.group(1)), known)
    for pattern, kind in _RULES:
        if re.search(pattern, folded):
            focus = count_focus(folded) if kind.name == "number" and not kind.detail else ""
            action = who_verb(folded) if kind.name == "person" else ""
            unit = next((d for d, units in _UNIT_DETAILS if focus and re.fullmatch(units, focus)), kind.detail)
            return replace(kind, known=known, focus=focus, action=action, detail=unit)
    head = which_head(question)
    if head:  # a name tied to the noun is preferred, not required: "what weapons" may be answered without one
        return identity(head, known)
    return QuestionType("other")


_KIND_OF = frozenset({"kinds", "kind", "sorts", "sort", "types", "type"})
_AUXILIARIES = frozenset(
    {"did", "does", "do", "is", "was", "are", "were", "has", "have", "had", "will", "can", "could"}
)
# words ending in "s" that are no plural noun after "what/which"
_NOT_PLURAL = frozenset({"was", "is", "does", "has", "this", "its", "his", "hers", "news", "less", "lens", "species"})
_NOT_PLURAL |= {"series", "means", "always", "perhaps", "sometimes", "whereas", "towards", "afterwards", "besides"}
_NOT_PLURAL |= {"tbh", "thanks", "pls", "plus", "chaos", "gas", "bus", "yes"}
# after one of these, a word in "s" is a verb: "which bus goes to the station", "what makes it special"
_OBJECTS = frozenset({"it", "them", "him", "her", "the", "a", "an", "this", "that", "these", "those", "to", "up"})
_OBJECTS |= {"his", "their", "its", "our", "my", "your", "out", "off", "into", "on", "in"}
_DETERMINERS = frozenset({"the", "their", "its", "his", "her", "your", "our", "my", "these", "those", "all", "some"})
_DETERMINERS |= {"any"}
# "list" as a request: "list them", "can u list the…", "priorities list pls"
_LIST_REQUEST = re.compile(r"^list\b|\blist\s+(?:them|the|all|every|em|out|pls|please|plz)\b")


# verbs that follow "what" ("what happens if…", "what causes…"): no plural noun
_VERBS_IN_S = frozenset({"happens", "makes", "means", "goes", "comes", "counts", "matters", "remains", "takes"})
_VERBS_IN_S |= {"gets", "stands", "lies", "works", "causes", "needs", "helps", "says", "shows", "seems", "looks"}
_VERBS_IN_S |= {"runs", "sells", "pays", "brings", "keeps", "leads", "holds", "gives", "puts", "sets", "turns"}


def _plural(word: str) -> bool:
    if len(word) <= 3 or word in _NOT_PLURAL or word in _VERBS_IN_S:
        return False
    return word.endswith("s") and not word.endswith(("ss", "us", "is", "'s", "’s"))


def asks_for_several(question: str) -> bool:
    """A question for several things: "what teams does the club run?", "which cheeses were recalled?",
    "what kinds of objections…", "what are their plans for next year?", "…can u list them": a plural
    noun heading the phrase after what/which (or after "what are/were the"), or "list" as a request."""
    lowered = question.lower()[:400]
    if _LIST_REQUEST.search(lowered):
        return True
    tokens = re.findall(r"[a-z’'\-]+", lowered)
    for i, token in enumerate(tokens):
        if token not in ("what", "which", "wat", "wht"):
            continue
        rest = tokens[i + 1 :]
        if rest[:2] and rest[0] in _KIND_OF and rest[1] == "of":
            rest = rest[2:]
        if rest[:1] and rest[0] in ("are", "were", "r"):  # "what are the spoke room's plans for…"
            rest = rest[1:]
            while rest[:1] and rest[0] in _DETERMINERS:
                rest = rest[1:]
        if _plural_head(rest):
            return True
    return False


def _plural_head(words: list[str]) -> bool:
    """Whether the noun phrase that opens `words` has a plural noun before its verb: up to four words, to
    a function word, an auxiliary or a participle; a word in "s" followed by an object is a verb."""
    for n, word in enumerate(words[:4]):
        if word in STOPWORDS or word in _AUXILIARIES or word.endswith(("ed", "ing")):
            return False
        following = words[n + 1] if n + 1 < len(words) else ""
        if _plural(word) and following not in _OBJECTS:
            return True
    return False


# nouns that name no kind of thing, or a category whose members rarely carry its name: "what word did he
# use", "which part of the charter", "what reason did they give" ("blamed a shortage of steel")
_META_HEADS = frozenset({"word", "term", "part", "bit", "piece", "way", "thing", "name", "area", "aspect", "side"})
_META_HEADS |= {"point", "stuff", "role", "job", "position", "title", *_KIND_OF}
_META_HEADS |= {"reason", "cause", "problem", "issue", "change", "measure", "step", "concern", "risk", "benefit"}
_META_HEADS |= {"plan", "option", "rule", "condition", "idea", "lesson", "effect", "impact", "difference", "advice"}
_META_HEADS |= {"action", "improvement", "message", "purpose", "goal", "aim", "result", "outcome", "view"}
# a name is the answer, with or without the noun: "what make of car" is answered by "a Russian-made Aurus"
_META_HEADS |= {"make", "model", "brand", "breed", "species", "variety", "genre", "style", "version"}
# measures, answered by a number or a date: "over what stretch of time" by "from January 2019 to 2022"
_META_HEADS |= {"time", "period", "stretch", "span", "timeframe", "era", "date", "day", "week", "year", "month"}
_META_HEADS |= {"size", "height", "length", "width", "depth", "distance", "speed", "weight", "age", "price", "cost"}
_META_HEADS |= {"amount", "percentage", "proportion", "share", "rate", "score", "total", "figure", "value"}
_META_HEADS |= {"count", "record", "tally", "toll"}
_MODALS = frozenset({"would", "should", "may", "might", "must", "shall"})
_PAST = frozenset({"went", "came", "got", "fell", "rose", "sank", "became", "hit", "put", "let", "won", "said"})
# after these a word of the verb group ends: "which firm owns [the quarry]", "which bands play [at the fete]"
_VERB_GROUP_END = _OBJECTS | _DETERMINERS | {"for", "at", "against", "with", "by", "from", "about", "of", "over"}


@dataclass(frozen=True)
class AskedThing:
    """What a "which/what <noun> …" question asks to identify: the noun heading its phrase, the stems of the
    question's verb for it, and whether the noun is the verb's subject ("which firm [owns] the quarry?") or
    its object ("which hotel did the choir [stay] at?")."""

    noun: str
    verb: frozenset[str]
    subject: bool


def asked_thing(question: str) -> AskedThing | None:
    """The one thing of a kind a "which/what <noun phrase> …" question asks for: the last word of the phrase
    ("which train company runs…" asks for a company, "which earlier Russia-North Korea treaty does…" for a
    treaty), when an auxiliary or a verb follows the phrase. None for several things (a plural noun: their
    members rarely carry the category's name), a noun that names no kind of thing ("what word…"), or a
    phrase read as anything but a noun ("what finally happened", "what went wrong")."""
    match = _WHICH.search(question)
    if not match:
        return None
    tokens = [w if w[0].isupper() else fold(w) for w in re.findall(r"[\w’'\-]+", question[match.start(1) :])]
    noun, end = "", len(tokens)
    for i, word in enumerate(tokens[:6]):
        following = fold(tokens[i + 1]) if i + 1 < len(tokens) else ""
        if word[0].isupper():
            continue
        verb = following in _VERB_GROUP_END or word in _VERBS_IN_S or word in _PAST or is_participle(word)
        if verb or word in STOPWORDS or word in _AUXILIARIES or word in _MODALS or word.endswith("ly"):
            end = i  # "which firm owns the…", "what sank the ferry?", "what finally happened"
            break
        noun = re.sub(r"['’]s$", "", word)
    rest = tokens[end:]
    if not noun or not rest or stem(noun) in _META_STEMS or _plural(noun):
        return None
    if rest[0] in _AUXILIARIES or rest[0] in _MODALS:  # "which hotel did the choir stay at?"
        return AskedThing(noun, _object_verb([fold(w) for w in rest[1:]]), subject=False)
    verb = list(itertools.takewhile(lambda w: w not in _VERB_GROUP_END, map(fold, rest)))
    return AskedThing(noun, frozenset(stem(w) for w in verb), subject=True) if verb else None


_META_STEMS = frozenset(stem(w) for w in _META_HEADS)


def _object_verb(words: list[str]) -> frozenset[str]:
    """The verb after the subject of a question for an object: the first word that ends the question or
    comes before a preposition or determiner ("did the choir [stay] at…", "does the limousine [have]?")."""
    for word, following in itertools.pairwise([*words, ""]):
        if word not in STOPWORDS and (not following or following in _VERB_GROUP_END):
            return frozenset({stem(word)})
    return frozenset()
