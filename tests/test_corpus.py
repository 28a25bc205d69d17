"""The corpora of the memory-signature chapter: symbol mapping and document-level splits."""
import numpy as np
import pytest

from mannlib.tasks import corpus as C


def test_normalize_maps_onto_the_symbol_set():
    assert C.normalize("Hello, World! 1999; it\u2019s--OK?") == "hello, world. ####, it's ok."
    assert C.normalize("  A\n\t[b] (c) \"d\" & e-f ") == "a b c d e f"
    assert C.SYMBOLS == "abcdefghijklmnopqrstuvwxyz .,#'" and C.VOCAB == 31


def test_encode_decode_round_trip_and_rejects_other_characters():
    text = "to be, or not to be. ## o'clock"
    ids = C.encode(text)
    assert ids.dtype == np.uint8 and ids.max() < C.VOCAB
    assert C.decode(ids) == text
    assert list(C.encode("a #")) == [0, 26, 29]
    with pytest.raises(C.CorpusError, match="not symbols"):
        C.encode("Capital")


def test_spoken_lines_drop_headings_speakers_and_directions():
    md = ("# Play\n\n## ACT I\n\n_Enter KING and\nQUEEN_\n\n**KING**  \nFirst line,  \n"
          "__\\[Aside]_ second line.\n\n**QUEEN**  \nAnswer _Kneels_ here.\n\n_Exeunt_\n")
    assert C._spoken_lines(md) == ["First line,", "second line.", "Answer   here."]


@pytest.mark.parametrize("name", C.CORPORA)
def test_corpus_uses_only_symbols_and_no_digits(name):
    corpus = C.load(name)
    for split in ("train", "dev", "test"):
        ids = corpus.split(split)
        assert len(ids) > 10_000 and ids.max() < C.VOCAB
        text = C.decode(ids[:50_000])
        assert set(text) <= set(C.SYMBOLS) and not any(ch.isdigit() for ch in text)
    assert len(corpus.train) > 5 * len(corpus.test)


def test_shakespeare_is_split_by_play_without_overlap():
    corpus = C.load("shakespeare")
    docs = corpus.documents
    assert set(docs["test"]) == set(C.TEST_PLAYS) and set(docs["dev"]) == set(C.DEV_PLAYS)
    assert not (set(docs["train"]) & (set(docs["dev"]) | set(docs["test"])))
    assert len(docs["train"]) + len(docs["dev"]) + len(docs["test"]) == len(C.shakespeare_plays()) >= 37
    # the opening of Hamlet is in test and nowhere in train
    opening = C.encode(C.normalize("Who's there? Nay, answer me: stand, and unfold yourself."))
    assert C.decode(corpus.test).find(C.decode(opening)) >= 0
    assert C.decode(corpus.train).find(C.decode(opening)) < 0


def test_news_is_split_by_article_and_keeps_numbers_as_hashes():
    corpus = C.load("news")
    docs = corpus.documents
    assert not (set(docs["train"]) & set(docs["test"])) and not (set(docs["dev"]) & set(docs["test"]))
    assert docs["test"][:2] == ["article-0", "article-10"] and docs["dev"][0] == "article-5"
    assert (corpus.train == C.SYMBOLS.index("#")).sum() > 100
    assert len(set(C.news_articles())) == len(C.news_articles())  # duplicates removed


def test_unknown_corpus_and_split_name_what_is_allowed():
    with pytest.raises(C.CorpusError, match="shakespeare, news"):
        C.load("wsj")
    with pytest.raises(C.CorpusError, match="train, dev, test"):
        C.load("news").split("valid")


def test_the_language_model_reads_every_corpus_symbol():
    from mannlib.models.charlm import LMConfig
    assert LMConfig().vocab == C.VOCAB


def test_bbc_news_is_split_by_article_without_repeated_stories():
    corpus = C.load("bbc")
    docs = corpus.documents
    assert not (set(docs["train"]) & set(docs["test"])) and not (set(docs["dev"]) & set(docs["test"]))
    # (section, number) order, every tenth story from the first in test, from the sixth in dev
    assert docs["test"][:2] == ["business/001", "business/011"] and docs["dev"][0] == "business/006"
    assert corpus.segments == sum(len(d) for d in docs.values()) == len(C.bbc_articles()) == 2063   # of 2,225 files
    assert len({C.normalize(a)[:80] for _, a in C.bbc_articles()}) == corpus.segments
    # the headline is dropped: the first story begins with its first sentence
    assert C.decode(corpus.test[:40]) == "quarterly profits at us media giant time"
    assert len(corpus.train) > 10 * len(C.load("news").train)                             # far larger than Lee
