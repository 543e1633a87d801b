"""The offline default answerer: quote the sentences that answer the question, or decline."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from bot.answer.amounts import AmountChange, AmountShare, AmountSum, amount_sum
from bot.answer.arithmetic import YearDifference, year_difference
from bot.answer.question import (
    NAME,
    AskedThing,
    QuestionType,
    asked_thing,
    asks_for_several,
    question_type,
    role_words_in,
    which_head,
)
from bot.answer.retriever import LIST_MARK, HybridRetriever, Retrieval
from bot.answer.text import STOPWORDS, YEAR, fold, stem, terms, words
from bot.answer.types import Answer, Citation, Passage, Sentence

MAX_ANSWER_CHARS = 400
# Feature weights: a pairwise ranking fit over every corpus with questions (`bench/fit_features.py`), a
# quarter blended with the grid-searched weights before it; the decline threshold from the grid search of
# `bench/fit_weights.py`. They weigh kinds of evidence, not individual questions. The constants after
# them were chosen by hand and checked on the question sets (README, "How answers are chosen: calibration").
WEIGHTS = {"dense": 0.25, "context": 0.21, "lexical": 0.15, "typed": 0.0, "rank": 0.11, "novelty": 0.16}
WEIGHTS |= {"detail": 0.06, "coverage": 0.06}
DECLINE_BELOW = 0.30
# A candidate carrying the answer type asked for leads when it scores this close to the best, among the
# best eight. When the type is required (a number for "how many"), the alternative is a decline, so a
# typed candidate may be a little further behind.
TYPED_MARGIN, TYPED_DEPTH = 0.08, 8
REQUIRED_MARGIN, REQUIRED_DEPTH = 0.10, 8
# A name bound to the verb of "who <verb>ed ...?" ("led by Professor Helen Achterberg") is strong
# evidence: it leads from anywhere among the candidates when this close to the best and about the question.
BOUND_MARGIN = 0.15
# Typed candidates this close to the chosen one (among the best five) are a tie, settled by which is
# more about the question (cosine plus share of its words) rather than by novelty or passage rank.
TIE_MARGIN, TIE_DEPTH = 0.03, 5
# The quoted sentence must be about the question: its cosine plus its share of the question's words
# reaches this, whatever novelty and passage rank add. Over all five corpora, out-of-scope chat tops out
# at 0.27 ("how do I get red wine out of a carpet?? asking for a friend") and the lowest correct answer
# is at 0.29 (bench/relevance_gap.py prints both sides).
RELEVANCE_FLOOR = 0.28
# A question that uses a name of the documents ("the spoke room") is no out-of-scope chat, so only the
# unanswerable side of the gap above holds for it (session 8: +1 answer over every set, nothing lost)
NAMED_RELEVANCE_FLOOR = 0.2
# A best sentence this much about the question keeps its place before an off-topic typed candidate (set
# by hand at twice the floor of the time, 0.2; no question set changes between 0.35 and 0.45).
CLEARLY_RELEVANT = 0.4
# Cosine of single-word MiniLM embeddings: university/college 0.82, Britain/UK 0.78; Trump/president 0.73
SYNONYM_SIMILARITY = 0.75
# another form of the word (same first four letters): chinese/china 0.69, german/germany 0.65; not
# austria/australia 0.64
RELATED_FORM_SIMILARITY = 0.65
# A list answers a question for several things when its cosine with the question (heading and items
# embedded together) beats every candidate sentence's and reaches this (session 8: answered lists 0.36-0.43)
LIST_FLOOR = 0.33
HEAD_SYNONYM_SIMILARITY = 0.7  # boat/vessel 0.73, car/vehicle 0.87; but car/limousine 0.57, engine/car 0.62
HEAD_KIND_SIMILARITY = 0.5  # a kind of the thing: car/limousine 0.57, not engine/limousine 0.44
BOUND_REACH = 4  # words between a name and the question's word it is bound to ("Corran Aggregates, which owns")
FOLLOW_UP_CONTEXT_WEIGHT = 0.3  # the earlier turn's words weigh this much against the question's own
ALREADY_QUOTED_PENALTY = 0.1  # a sentence the earlier answer quoted must earn its place again
QUOTED_PREFIX = 60  # characters of a sentence that, found in the earlier answer, mean it was quoted
RANK_SCALE = 8  # the rank feature falls by 1/8 per place of the holding passage
BEST_SENTENCES = 15  # candidates: the sentences of the top passages, and the best sentences anywhere
WORD_CACHE_LIMIT = 20_000  # single-word vectors kept (~1.5 kB each) before the cache starts afresh
# a question word in this share of its document's sentences (and at least two) names the document's topic
DETAIL_TOPIC_SHARE, DETAIL_TOPIC_MIN = 0.2, 2
_TOKEN = re.compile(r"[\w’'\-]+|[^\w\s]")
CHAT_ACRONYMS = frozenset({"ok", "lol", "pls", "plz", "fyi", "btw", "imo", "imho", "tbh", "asap", "omg", "idk"})
CHAT_ACRONYMS |= {"thx", "tia", "ty", "np", "afaik", "iirc", "aka", "eta", "faq", "ps", "nb", "tl", "dr"}
# Names, and acronyms of three letters or more (two-letter ones such as "PM" or "UK" are too ambiguous
# to decline on); an acronym ending in a Roman numeral ("WWII") is left alone.
_CAPITALISED = re.compile(
    r"(?<![.?!]\s)(?<!^)\b([A-Z][a-z]{2,})\b|\b(?![A-Z]*(?:II|IV|VI|IX)\b)([A-Z]{3,}s?|[A-Z]{2}s)\b"
)


@dataclass(frozen=True)
class Scored:
    sentence: int
    score: float
    typed: bool
    features: dict[str, float]
    topical: float | None = None  # the lexical share without numbers: a shared year alone is no topic
    asked: float = 0.0  # the cosine of the interview question the sentence answers


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, retriever: HybridRetriever) -> None:
        self.retriever = retriever
        self.vocabulary = {w for s in retriever.sentences for w in words(s.text)}
        self.known_words = self.vocabulary | STOPWORDS | CHAT_ACRONYMS
        self._word_vectors: dict[str, np.ndarray] = {}
        matches = [m.group(0) for s in retriever.sentences for m in NAME.finditer(s.text)]
        self.names = {name for name in (tuple(terms(m)) for m in matches) if len(name) > 1}
        self.name_phrases = {phrase for phrase in (tuple(words(m)) for m in matches) if len(phrase) > 1}
        self.document_size = Counter(s.doc_id for s in retriever.sentences)
        self.document_terms: dict[str, Counter[str]] = defaultdict(Counter)  # in how many of its sentences
        for sentence, sentence_terms in zip(retriever.sentences, retriever.sentence_terms, strict=True):
            self.document_terms[sentence.doc_id].update(sentence_terms)

    def answer(self, question: str, retrieval: Retrieval, context: str = "") -> Answer:
        kind = self.question_kind(question, retrieval, context)
        unknown = self.unknown_names(question, retrieval)
        if unknown:
            return self.decline(question, retrieval, 0.0, f"they never mention {never_mentioned(unknown)}")
        computed = year_difference(question, self.retriever) or amount_sum(question, self.retriever)
        if computed:
            return self.compose_computed(question, retrieval, computed)
        ranked = self.score_sentences(question, retrieval, kind, context)
        listed = self.best_list(question, retrieval, kind, ranked)
        if listed:
            return self.compose(question, retrieval, *listed)
        chosen, reason = self.choose(question, ranked, kind, retrieval)
        if chosen is None:
            return self.decline(question, retrieval, ranked[0].score if ranked else 0.0, reason)
        return self.compose(question, retrieval, self.widened(chosen[0].sentence, chosen[1]), chosen[0].score)

    def best_list(
        self, question: str, retrieval: Retrieval, kind: QuestionType, ranked: list[Scored]
    ) -> tuple[tuple[int, int], float] | None:
        """For a question for several things ("what are their plans for next year?"), a list in the top
        passages, embedded with the line that introduces it ("## Actions"): when it is closer to the
        question than any candidate sentence, at least LIST_FLOOR, and shares a word with the question,
        the span of its items that fits in an answer (two at least, after their introducing sentence if
        that is quotable), with the list's cosine. Items are short and say little alone; together under
        their heading they answer the question."""
        if kind.name not in ("other", "identity") or not ranked or not asks_for_several(question):
            return None
        r = self.retriever
        fitting = [(run, span) for run in self.list_runs(retrieval) if (span := self.fitting_items(run))]
        if not fitting:
            return None
        spans = [span for _, span in fitting]
        # the items quoted, after the line before them: their heading or the sentence that announces them
        texts = [self.span_text((run[0] - 1, span[1])) for run, span in fitting]
        similarity = r.embedder.embed(texts) @ retrieval.vector
        best = int(np.argmax(similarity))
        sentence_best = max(float(r.sentence_vectors[x.sentence] @ retrieval.vector) for x in ranked)
        if similarity[best] < LIST_FLOOR or similarity[best] <= sentence_best:
            return None
        return spans[best], float(similarity[best])

    def fitting_items(self, run: list[int]) -> tuple[int, int] | None:
        """The span of a list's first items that fits in an answer and one passage, with the sentence that
        announces them ("People could respond in several ways:") when it fits too; None under two items."""
        r = self.retriever
        last = run[-1]
        while last > run[0] and not self.fits_one_passage(run[0], last):
            last -= 1
        if last == run[0]:
            return None
        intro = run[0] - 1
        if r.quotable[intro] and r.sentences[intro].text.rstrip().endswith(":") and self.fits_one_passage(intro, last):
            return intro, last
        return run[0], last

    def list_runs(self, retrieval: Retrieval) -> list[list[int]]:
        """The whole lists that have an item in the top passages: runs of two or more consecutive list
        items of one document, each after a line that is not an item (its heading or introducing line)."""
        r = self.retriever
        runs: list[list[int]] = []
        seen: set[int] = set()
        for chunk in retrieval.ranked_chunks:
            for s in r.chunk_sentences[chunk]:
                if s in seen or not is_list_item(r.sentences[s].text):
                    continue
                first = s
                while first - 1 in self.neighbours(first) and is_list_item(r.sentences[first - 1].text):
                    first -= 1
                run = [first]
                while run[-1] + 1 in self.neighbours(run[-1]) and is_list_item(r.sentences[run[-1] + 1].text):
                    run.append(run[-1] + 1)
                seen.update(run)
                if len(run) >= 2 and first - 1 in self.neighbours(first):
                    runs.append(run)
        return runs

    def question_kind(self, question: str, retrieval: Retrieval, context: str = "") -> QuestionType:
        """The answer type asked for, with the retrieved passages' words for its head noun."""
        kind = question_type(question, context)
        if kind.name != "identity":
            return kind
        similar = self.head_synonyms(kind.focus, retrieval)
        synonyms = kind.synonyms + tuple(w for w, x in similar if x >= HEAD_SYNONYM_SIMILARITY)
        kinds = tuple(
            w
            for w, x in similar
            if HEAD_KIND_SIMILARITY <= x < HEAD_SYNONYM_SIMILARITY and not w.endswith(("ing", "ed"))
        )
        return replace(kind, abbreviated=kind.focus not in self.vocabulary, synonyms=synonyms, kinds=kinds)

    def choose(
        self,
        question: str,
        ranked: list[Scored],
        kind: QuestionType,
        retrieval: Retrieval,
        threshold: float = DECLINE_BELOW,
    ) -> tuple[tuple[Scored, tuple[int, int]] | None, str]:
        """The best sentence and the span to quote, or None and why not. A candidate that carries the
        answer type asked for (a date for "when", a name for "who") leads when it is nearly as good."""
        if not ranked or ranked[0].score < threshold:
            return None, "nothing close enough"
        best = self.lead(ranked, kind, retrieval)
        # Checked on the sentence that would be quoted: when an off-topic sentence carrying the type
        # asked for scores within the margin of the best, the evidence is too weak either way ("who won
        # the 2022 world cup?" otherwise quotes a 2022 date line).
        floor = NAMED_RELEVANCE_FLOOR if self.names_a_documented_name(question) else RELEVANCE_FLOOR
        if not is_relevant(best, floor):
            return None, "the closest sentences aren't about that"
        span = self.window(best.sentence, retrieval, kind)
        if kind.required and not kind.answered_by(self.span_text(span)):
            return None, f"the closest passage doesn't give the {kind.described}"
        thing = asked_thing(question) if kind.name == "identity" and kind.focus == which_head(question) else None
        if thing and not self.quotes_the_thing(self.span_text(self.widened(best.sentence, span)), thing, kind):
            return None, f"the closest passage doesn't say which {thing.noun}"
        missing = self.years_not_mentioned(question, span) if kind.required else []
        if missing:
            return None, f"the closest passage doesn't give the {kind.described} for {', '.join(missing)}"
        return (best, span), ""

    def quotes_the_thing(self, quote: str, thing: AskedThing, kind: QuestionType) -> bool:
        """Whether a quote names the thing a "which/what <noun>" question asks for: it speaks of the noun
        (another form of it, or a word for a kind of it: single-word cosine at least HEAD_KIND_SIMILARITY,
        "limousine" for "car" at 0.57, not for "engine" at 0.44), or a name the question does not use is
        bound to what the question says of the thing."""
        found = sorted({w for w in words(quote) if w.isalpha() and w not in STOPWORDS})
        if stem(thing.noun) in {stem(w) for w in found}:
            return True
        vectors = self.word_vectors([thing.noun, *found]) if found else None
        if vectors is not None and float((vectors[1:] @ vectors[0]).max()) >= HEAD_KIND_SIMILARITY:
            return True
        return names_bound(quote, thing, kind.is_new_name)

    def lead(self, ranked: list[Scored], kind: QuestionType, retrieval: Retrieval) -> Scored:
        """The candidate to quote: strong evidence (a name bound to the question's verb, a number of the
        noun counted) among the best BEST_SENTENCES if close enough, else a candidate carrying the answer
        type when nearly as good as the best, and among near-ties of that type the one more about the question."""
        best = ranked[0]
        strong = next((x for x in ranked[:BEST_SENTENCES] if self.strong_evidence(kind, x) and is_relevant(x)), None)
        if strong and strong.score >= best.score - BOUND_MARGIN:
            return strong
        if kind.name == "other":
            return best
        # the best sentence's neighbour may give what is asked ("…a ban. Breaches face fines of £1,000.")
        window = self.window(best.sentence, retrieval, kind) if kind.required and not best.typed else None
        if window and is_relevant(best) and kind.matches(self.span_text(window)):
            return best
        margin, depth = (REQUIRED_MARGIN, REQUIRED_DEPTH) if kind.required else (TYPED_MARGIN, TYPED_DEPTH)
        typed_ones = [x for x in ranked[:depth] if x.typed]
        relevant_typed = next((x for x in typed_ones if is_relevant(x)), None)
        # an off-topic sentence of the type gives way to a relevant one close behind
        if best.typed and not is_relevant(best) and relevant_typed and relevant_typed.score >= best.score - margin:
            best = relevant_typed
        if not best.typed:
            typed = relevant_typed or (typed_ones[0] if typed_ones else None)
            # An off-topic typed candidate gives way to a best sentence clearly about the question ("who
            # drove first?": "it was Putin who took the wheel first" names no full name); to any relevant
            # one when the type is required, as it would lead only to a decline. A causal word is weak
            # evidence: an off-topic sentence with one never turns an answer into a decline.
            weak = kind.name == "reason"
            about = is_relevant(best, RELEVANCE_FLOOR if kind.required else CLEARLY_RELEVANT)
            leads = typed and (is_relevant(typed) or not (weak or about))
            if not leads or typed.score < best.score - margin:
                return best
            best = typed
        tied = [x for x in ranked[:TIE_DEPTH] if x.typed and abs(x.score - best.score) <= TIE_MARGIN]
        return max([best, *tied], key=relevance)

    def names_a_documented_name(self, question: str) -> bool:
        """Whether the question uses, word for word, a name of several words that the documents capitalise
        ("the spoke room", "marian elsworth"; not "who spoke in the room"): then it is about them."""
        sequence = words(question)
        return any(tuple(sequence[i : i + n]) in self.name_phrases for n in (2, 3, 4) for i in range(len(sequence)))

    def strong_evidence(self, kind: QuestionType, candidate: Scored) -> bool:
        """Strong evidence of the answer: a name bound to the verb of "who <verb>ed", a number counting
        the very thing "how many <noun>" asks about ("12 stops"), an amount right after the question's
        verb ("fined £1.2 million"), a reason stated as such ("the most likely cause was…")."""
        text = self.retriever.sentences[candidate.sentence].text
        if kind.name == "number" and kind.focus:
            return kind.counts(text)
        if kind.name == "money":
            return kind.binds_amount(text)
        if kind.name == "reason" and not kind.detail:
            return bool(_STATED_REASON.search(text))
        return bool(kind.action) and kind.binds(text)

    def span_text(self, span: tuple[int, int]) -> str:
        return " ".join(self.retriever.sentences[s].text for s in range(span[0], span[1] + 1))

    def years_not_mentioned(self, question: str, span: tuple[int, int]) -> list[str]:
        """The years the question asks about ("...in 2023?") that neither the quoted span nor the
        sentence before it names: a number, date or amount for 2023 must come from a passage about 2023.
        The single year of the document's title holds for all of it ("Annual Report 2023–24", whose
        sentences compare with the year before: "up 9% on 2022"; not "Relations with North Korea,
        1948-2024")."""
        first, last = span
        if first - 1 in self.neighbours(first):
            first -= 1
        nearby = set(YEAR.findall(self.span_text((first, last))))
        in_title = set(YEAR.findall(self.retriever.titles[self.retriever.sentences[first].doc_id]))
        nearby |= in_title if len(in_title) == 1 else set()
        missing = sorted(set(YEAR.findall(question)) - nearby)
        periods = {
            period for period in decades_asked(question) if not any(y.startswith(period_prefix(period)) for y in nearby)
        }
        return missing + sorted(periods)

    def unknown_names(self, question: str, retrieval: Retrieval) -> list[str]:
        """Names and numbers the question hinges on that the documents never mention. A name counts as
        mentioned when the retrieved passages use a word of the same meaning: people write "University
        of Hull" where a reworded document says "College of Hull", "Britain" where it says "UK"."""
        found = [m.group(1) or m.group(2) for m in _CAPITALISED.finditer(question)]
        if is_shouted(question):  # in an all-caps question every word looks like an acronym
            found = [m for m in found if not is_acronym(m)]
        names = [m for m in found if fold(m) not in self.known_words and not role_words_in(m)]
        # "41,000" is one number, as in the passages; "7.5" is checked too
        numbers = [w for w in words(question) if re.fullmatch(r"\d+(?:\.\d+)?", w)]
        if not names and not numbers:
            return []
        passages = [h.chunk.text for h in retrieval.hits]
        names = [n for n in names if not (is_acronym(n) and spelled_out(n, passages))]
        nearby = passage_words(retrieval)
        unknown = [n for n in numbers if n not in nearby and not short_year_in(n, nearby)]
        if names:
            synonyms = self.synonyms_present([fold(n) for n in names], sorted(nearby - STOPWORDS))
            unknown = [n for n, known in zip(names, synonyms, strict=True) if not known] + unknown
        return unknown

    def synonyms_present(self, asked: list[str], nearby: list[str]) -> list[bool]:
        """For each asked word, whether one of the nearby words means the same (cosine of single-word
        embeddings at least SYNONYM_SIMILARITY), or is another form of it: the same first four letters
        and a cosine of RELATED_FORM_SIMILARITY ("Chinese" for "China", "German" for "Germany")."""
        if not nearby:
            return [False] * len(asked)
        vectors = self.word_vectors(asked + nearby)
        similarity = vectors[: len(asked)] @ vectors[len(asked) :].T
        prefixes = np.array([w[:4] for w in nearby])
        return [
            bool(row.max() >= SYNONYM_SIMILARITY or (row[prefixes == word[:4]] >= RELATED_FORM_SIMILARITY).any())
            for word, row in zip(asked, similarity, strict=True)
        ]

    def head_synonyms(self, head: str, retrieval: Retrieval) -> list[tuple[str, float]]:
        """The retrieved passages' words close to the question's head noun, with their similarity: "what was
        the name of the boat?" is answered by "the research vessel RV Southern Tern"."""
        nearby = sorted(passage_words(retrieval) - STOPWORDS - {head})
        nearby = [w for w in nearby if w.isalpha() and len(w) > 2]
        if not nearby:
            return []
        vectors = self.word_vectors([head, *nearby])
        similarity = vectors[1:] @ vectors[0]
        return [(w, float(x)) for w, x in zip(nearby, similarity, strict=True) if x >= HEAD_KIND_SIMILARITY]

    def word_vectors(self, items: list[str]) -> np.ndarray:
        """Embeddings of single words, cached: the same passages come back question after question. The
        cache only grows until it is replaced by an empty one past WORD_CACHE_LIMIT words (~1.5 kB
        each), so threads share it without a lock: each works on the dict it read."""
        cache = self._word_vectors
        if len(cache) > WORD_CACHE_LIMIT:
            cache = self._word_vectors = {}
        missing = [w for w in dict.fromkeys(items) if w not in cache]
        if missing:
            cache.update(zip(missing, self.retriever.embedder.embed(missing), strict=True))
        return np.stack([cache[w] for w in items])

    def score_sentences(
        self,
        question: str,
        retrieval: Retrieval,
        kind: QuestionType,
        context: str = "",
        weights: dict[str, float] | None = None,
    ) -> list[Scored]:
        """Rank candidate sentences. For a follow-up, the earlier turn's words count for less than the
        question's own, and a sentence the earlier answer already quoted must earn its place again."""
        r = self.retriever
        query_terms = set(terms(question))
        feature_weights = weights or WEIGHTS
        term_weights = self.term_weights(question, context)
        seen = " ".join(context.split())
        total = sum(term_weights.values()) or 1.0
        rank_of = {chunk: rank for rank, chunk in enumerate(retrieval.ranked_chunks)}
        detail = self.detail_vector(question, retrieval)
        scored = []
        for s in self.candidates(retrieval, rank_of):
            sentence_terms = r.sentence_terms[s]
            first, last = self.window(s, retrieval, kind)
            window_terms = frozenset().union(*r.sentence_terms[first : last + 1])
            asked = r.asked_by[s]
            asked_score = float(retrieval.sentence_scores[asked]) if asked is not None else 0.0
            features = {
                "dense": float(retrieval.sentence_scores[s]),
                # a headline, heading or table rule beside a sentence is no context for it; the question
                # it answers in an interview is
                "context": max(
                    [float(retrieval.sentence_scores[n]) for n in self.neighbours(s) if r.quotable[n]]
                    + ([asked_score] if asked is not None else []),
                    default=0.0,
                ),
                "lexical": sum(w for t, w in term_weights.items() if t in sentence_terms) / total,
                "typed": float(kind.matches(r.sentences[s].text)),
                "rank": 1.0
                - min((rank_of[c] for c in r.sentence_chunks[s] if c in rank_of), default=RANK_SCALE) / RANK_SCALE,
                "novelty": len(sentence_terms - query_terms) / (len(sentence_terms) or 1),
                "detail": float(retrieval.sentence_scores[s] if detail is None else r.sentence_vectors[s] @ detail),
                "coverage": sum(w for t, w in term_weights.items() if t in window_terms) / total,
            }
            score = sum(feature_weights[name] * value for name, value in features.items())
            # the start of the sentence: an earlier answer may have been cut short at the length limit
            if seen and " ".join(r.sentences[s].text.split())[:QUOTED_PREFIX] in seen:
                score -= ALREADY_QUOTED_PENALTY
            topical = sum(w for t, w in term_weights.items() if t in sentence_terms and not t.isdigit()) / total
            scored.append(Scored(s, score, bool(features["typed"]), features, topical, asked_score))
        scored.sort(key=lambda x: x.score, reverse=True)
        return scored

    def detail_vector(self, question: str, retrieval: Retrieval) -> np.ndarray | None:
        """The embedding of the question's detail: the question without the words of its topic, those in
        the title of the best passage's document or in at least DETAIL_TOPIC_SHARE of its sentences (and
        two of them). "which firm built lenn valley hospital" becomes "which firm built": every sentence
        of the hospital's article matches the topic, only the one that answers matches the detail. None
        when no word is dropped, or nothing but function words would be left."""
        r = self.retriever
        if not retrieval.ranked_chunks:
            return None
        top = r.passages[retrieval.ranked_chunks[0]]
        counts, size, title = self.document_terms[top.doc_id], self.document_size[top.doc_id], set(terms(top.title))

        def topical(term: str) -> bool:
            return term in title or (counts[term] >= DETAIL_TOPIC_MIN and counts[term] >= DETAIL_TOPIC_SHARE * size)

        tokens = _TOKEN.findall(question)
        kept = [w for w in tokens if not any(topical(t) for t in terms(w))]
        if len(kept) == len(tokens) or not terms(" ".join(kept)):
            return None
        return r.embedder.embed([" ".join(kept)])[0]

    def term_weights(self, question: str, context: str = "") -> dict[str, float]:
        """How much each word counts in the overlap: its rarity (IDF), less for the earlier turn of a
        follow-up, and a name of several words as one word."""
        weights = {t: FOLLOW_UP_CONTEXT_WEIGHT * self.retriever.idf(t) for t in set(terms(context))}
        weights |= {t: self.retriever.idf(t) for t in terms(question)}
        return weights | self.name_weights(question, weights)

    def candidates(self, retrieval: Retrieval, rank_of: dict[int, int]) -> list[int]:
        """The quotable sentences of the top passages, and the best sentences anywhere."""
        r = self.retriever
        found = {s for chunk in rank_of for s in r.chunk_sentences[chunk]}
        found |= {int(s) for s in np.argsort(-retrieval.sentence_scores)[:BEST_SENTENCES]}
        return [s for s in found if r.quotable[s]]

    def name_weights(self, question: str, term_weights: dict[str, float]) -> dict[str, float]:
        """A name of several words ("Calder Basin Water") weighs as one word, its rarest: otherwise
        every sentence naming the topic outweighs the one with the word actually asked about."""
        sequence, weights = terms(question), {}
        for i in range(len(sequence)):
            for length in (4, 3, 2):
                name = tuple(sequence[i : i + length])
                if len(name) == length and name in self.names:
                    share = max(term_weights[t] for t in name) / length
                    weights |= {t: min(share, weights.get(t, share)) for t in name}
                    break
        return weights

    def neighbours(self, s: int) -> list[int]:
        r = self.retriever
        return [
            n for n in (s - 1, s + 1) if 0 <= n < len(r.sentences) and r.sentences[n].doc_id == r.sentences[s].doc_id
        ]

    def window(self, best: int, retrieval: Retrieval, kind: QuestionType | None = None) -> tuple[int, int]:
        """The best sentence joined with its closer neighbour (by the query; one carrying the answer type
        asked for, if the best sentence lacks it), when both fit in an answer and lie in one passage, so
        the quote is one exact span of the source; a sentence announcing a list, with the list's items."""
        r = self.retriever
        items = self.announced_list(best)
        if items:
            return best, items[-1]
        neighbours = [n for n in self.neighbours(best) if r.quotable[n]]
        if kind and kind.name != "other" and not kind.matches(r.sentences[best].text):
            neighbours = [n for n in neighbours if kind.matches(r.sentences[n].text)] or neighbours
        for partner in sorted(neighbours, key=lambda n: retrieval.sentence_scores[n], reverse=True):
            first, last = min(best, partner), max(best, partner)
            if self.fits_one_passage(first, last):
                return first, last
        return best, best

    def widened(self, best: int, span: tuple[int, int]) -> tuple[int, int]:
        """The quoted span and one more sentence, when it is quotable, fits in an answer and lies in the
        same passage: the best sentence's other neighbour, else the sentence beyond its partner. Never a
        list item before the span: the quote would start in the middle of a list."""
        r = self.retriever
        first, last = span
        around = [n for n in (first - 1, last + 1) if n in self.neighbours(first) + self.neighbours(last)]
        for n in sorted(around, key=lambda n: abs(n - best)):
            wider = min(first, n), max(last, n)
            mid_list = n < first and LIST_MARK.match(r.sentences[n].text)
            if r.quotable[n] and not mid_list and self.fits_one_passage(*wider):
                return wider
        return span

    def fits_one_passage(self, first: int, last: int) -> bool:
        """Whether the sentences first..last fit in an answer and lie in one passage, so that the quote
        is one exact span of the source."""
        r = self.retriever
        fits = r.sentences[last].end - r.sentences[first].start <= MAX_ANSWER_CHARS - 5
        return fits and bool(set(r.sentence_chunks[first]) & set(r.sentence_chunks[last]))

    def announced_list(self, sentence: int) -> list[int]:
        """The list items that follow a sentence announcing them ("…the following products:"), as many as
        fit in an answer with it, in the same passage: the items are the answer."""
        r = self.retriever
        if not r.sentences[sentence].text.rstrip().endswith(":"):
            return []
        items, n = [], sentence + 1
        chunks = set(r.sentence_chunks[sentence])
        while n < len(r.sentences) and r.sentences[n].doc_id == r.sentences[sentence].doc_id:
            fits = r.sentences[n].end - r.sentences[sentence].start <= MAX_ANSWER_CHARS - 5
            if not (LIST_MARK.match(r.sentences[n].text) and fits and chunks & set(r.sentence_chunks[n])):
                break
            items.append(n)
            n += 1
        return items

    def compose(self, question: str, retrieval: Retrieval, span: tuple[int, int], confidence: float) -> Answer:
        r = self.retriever
        first, last = r.sentences[span[0]], r.sentences[span[1]]
        shared = sorted(set(r.sentence_chunks[span[0]]) & set(r.sentence_chunks[span[1]]))
        passage = r.passages[shared[0]]
        quote = passage.text[first.start - passage.start : last.end - passage.start]
        flat = " ".join(quote.split())
        text = flat if len(flat) <= MAX_ANSWER_CHARS - 5 else flat[: MAX_ANSWER_CHARS - 6] + "…"
        cite = citation(1, passage, first.start, last.end, quote, first)
        return Answer(
            question,
            f"{text} [1]",
            True,
            round(min(1.0, confidence), 3),
            [cite],
            retrieval.chunk_ids(),
            answerer=self.name,
        )

    def compose_computed(
        self, question: str, retrieval: Retrieval, computed: YearDifference | AmountSum | AmountChange | AmountShare
    ) -> Answer:
        """A computed answer citing the sentences it was computed from (one citation for a sentence that
        gives both numbers)."""
        r = self.retriever
        numbers: dict[int, int] = {}
        citations = []
        for s in computed.sentences:
            if s not in numbers:
                numbers[s] = len(numbers) + 1
                sentence = r.sentences[s]
                passage = r.passages[r.sentence_chunks[s][0]]
                citations.append(citation(numbers[s], passage, sentence.start, sentence.end, sentence.text, sentence))
        text = computed.describe([f"[{numbers[s]}]" for s in computed.sentences])
        return Answer(question, text, True, 0.5, citations, retrieval.chunk_ids(), answerer=self.name)

    def decline(self, question: str, retrieval: Retrieval, confidence: float, reason: str) -> Answer:
        titles = sorted({p.title for p in self.retriever.passages})
        about = "; ".join(titles[:6]) + ("; …" if len(titles) > 6 else "")
        covered = f"They cover: {about}." if titles else "The index holds no documents yet."
        text = f"I couldn't find that in the documents ({reason}). {covered}"
        return Answer(
            question,
            text,
            False,
            round(max(0.0, confidence), 3),
            [],
            retrieval.chunk_ids(),
            answerer=self.name,
        )


_FUNCTION_WORDS = frozenset({"of", "the", "and", "for", "in", "on", "to", "a", "an", "&"})


# a reason stated as such: "The main reason for the proposal is cost.", "The most likely cause was…"
_STATED_REASON = re.compile(
    r"\b(?:reasons?|causes?)\b(?: (?:for|of|behind) [^.,;]{1,60}?)? (?:is|was|were|are)\b", re.IGNORECASE
)


def names_bound(quote: str, thing: AskedThing, is_new_name: Callable[[str], bool]) -> bool:
    """Whether a new name is bound to what the question says of the thing it asks for: before the verb of
    a subject ("Corran Aggregates, which owns the quarry" answers "which firm owns the quarry?"), after "<verb>
    by" ("run by Norvale Transit"), or after a word of the question when the thing is an object ("stayed at
    the Savoy" answers "which hotel did the choir stay at?")."""
    tokens = re.findall(r"[\w’'\-]+", quote)
    stems = [stem(fold(t)) for t in tokens]
    for i, token in enumerate(tokens):
        if not token[0].isupper() or not is_new_name(token):
            continue
        before, after = stems[max(0, i - BOUND_REACH) : i], stems[i + 1 : i + 1 + BOUND_REACH]
        if thing.subject:
            bound = any(t in thing.verb for t in after) or ("by" in before and any(t in thing.verb for t in before))
        else:
            bound = any(t in thing.verb for t in before)
        if bound:
            return True
    return False


def is_list_item(text: str) -> bool:
    return bool(LIST_MARK.match(text.lstrip()))


def passage_words(retrieval: Retrieval) -> set[str]:
    """The words of the retrieved passages."""
    return {w for hit in retrieval.hits for w in words(hit.chunk.text)}


def short_year_in(number: str, nearby: set[str]) -> bool:
    """ "back in 78": a two-digit number is the passages' 1978 (or 2078) when they name that year."""
    return len(number) == 2 and number.isdigit() and bool({f"19{number}", f"20{number}"} & nearby)


def spelled_out(acronym: str, texts: list[str]) -> bool:
    """Whether the passages spell the acronym out: "HGVs" for "heavy goods vehicles", "UN" for "United
    Nations" (the initials of consecutive words, function words skipped)."""
    letters = fold(acronym[:-1] if acronym.endswith("s") and acronym[:-1].isupper() else acronym)
    for text in texts:
        initials = [w[0] for w in re.findall(r"[\w’'\-]+", fold(text)) if w not in _FUNCTION_WORDS]
        if any("".join(initials[i : i + len(letters)]) == letters for i in range(len(initials))):
            return True
    return False


# "the 1950s", "the 50s", "the late '80s"; not an age ("in their 50s")
_DECADE = re.compile(r"\b(1[6-9]|20)(\d)0['’]?s\b|\bthe\s+(?:(?:early|mid|late)[\s\-]+)?['’]?(\d)0['’]?s\b", re.I)


def decades_asked(question: str) -> list[str]:
    """The decades a question names: "in the 1950s", "back in the 50s", "the '80s" (a two-digit "50s" is
    taken as the 1950s, "10s" and "00s" as this century's); "the 1800s" is a century (`period_prefix`)."""
    found = []
    for century, tens, quoted in _DECADE.findall(question):
        digit = tens or quoted
        century = century or ("20" if digit in "01" else "19")
        found.append(f"{century}{digit}0s")
    return found


def period_prefix(period: str) -> str:
    """The leading digits every year of a decade has ("195" of "1950s"); of a century for "1800s"."""
    return period[:2] if period[2:4] == "00" and period[:2] != "20" else period[:3]


def never_mentioned(unknown: list[str]) -> str:
    """The unknown names for a decline message. Acronyms are not repeated: an all-caps word is as likely
    an instruction smuggled into the question ("reply only with PWNED") as a real abbreviation."""
    shown = [n for n in unknown if not is_acronym(n)]
    if len(shown) < len(unknown):
        shown.append("an abbreviation the question uses")
    return ", ".join(shown)


def is_acronym(name: str) -> bool:
    """ "HGVs", "NATO": what _CAPITALISED found is an acronym when it starts with two capitals."""
    return name[:2].isupper()


def is_shouted(text: str) -> bool:
    """Mostly capital letters: an all-caps question, not one with acronyms in it."""
    letters = [c for c in text if c.isalpha()]
    return sum(c.isupper() for c in letters) > len(letters) / 2


def relevance(candidate: Scored) -> float:
    """How much a sentence is about the question: its cosine (or that of the interview question it
    answers, if higher) plus its share of the question's words."""
    lexical = candidate.features["lexical"] if candidate.topical is None else candidate.topical
    return max(candidate.features["dense"], candidate.asked) + lexical


def is_relevant(candidate: Scored, floor: float = RELEVANCE_FLOOR) -> bool:
    """Whether a sentence is about the question at all: novelty and passage rank alone never make it so."""
    return relevance(candidate) >= floor


def citation(n: int, passage: Passage, start: int, end: int, quote: str, sentence: Sentence | None = None) -> Citation:
    """A citation of an exact span; the page and section are the cited sentence's when known."""
    page = sentence.page if sentence and sentence.page else passage.page
    section = sentence.section if sentence and sentence.section else passage.section
    return Citation(
        n, passage.title, passage.source, passage.doc_id, passage.id, start, end, quote, passage.url, page, section
    )
