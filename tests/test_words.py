"""The shared word module (qa.words): BM25 tokens must not drift, or old indexes stop matching questions."""
from bm25s.stopwords import STOPWORDS_EN

from qa import lexical, words
from qa.llm import verify


def test_index_terms_are_pinned():
    # An index stores these tokens: a change here silently changes every BM25 score of an old index.
    assert words.index_terms("What did Zelensky say about the 3 Patriot missiles in Vilnius?") == [
        "zelenski", "3", "patriot", "missil", "vilnius"]
    assert words.index_terms("Lithuania’s defence ministry said it will send 1,000 generators, naïvely.") == [
        "lithuania", "defenc", "ministri", "send", "1", "000", "generat", "naïv"]
    assert lexical.tokenize is words.index_terms  # chunks and questions go through the same function


def test_index_stopwords_keep_every_bm25s_stopword():
    assert set(STOPWORDS_EN) <= words.INDEX_STOPWORDS


def test_claim_terms_fold_accents_join_numbers_and_drop_possessives():
    assert words.content_terms("Lithuania’s defence ministry said it will send 1,000 generators, naïvely.") == {
        "1000", "defenc", "generat", "lithuania", "ministri", "naiv", "send"}
    assert verify.names("Officials in Vilnius met Zelensky’s aides.") == {"vilnius", "zelenski"}


def test_topic_words_are_lowercase_content_words():
    tokens = words.raw_tokens("Zelensky discussed the long-term air defence plans last week, 2024")
    assert [w for w in tokens if words.is_topic_word(w)] == ["discussed", "long-term", "air", "defence", "plans"]
