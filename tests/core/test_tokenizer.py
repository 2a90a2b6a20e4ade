import numpy as np
import pytest

from lstmwriter.core.tokenizer import (
    UNK_CHAR,
    CharTokenizer,
    WordTokenizer,
    smallest_dtype,
    tokenizer_from_dict,
    western_charset,
)


def test_char_round_trip_and_unknown():
    tok = CharTokenizer.build("hello world\n")
    ids = tok.encode("hello world\n")
    assert tok.decode(ids) == "hello world\n"
    assert tok.tokens[0] == UNK_CHAR
    unknown = tok.encode("hé😀")
    assert unknown.tolist()[1:] == [0, 0]
    assert tok.decode(unknown) == "h" + UNK_CHAR * 2


def test_char_normalisation_is_per_character():
    tok = CharTokenizer.build("abc", lower=True, ascii_only=True)
    text_a, text_b = "Café “Noël” — ", "Æsir…"
    assert tok.normalize(text_a + text_b) == \
        tok.normalize(text_a) + tok.normalize(text_b)
    assert tok.normalize("Café “Noël” —") == 'cafe "noel" --'


def test_western_charset_covers_european_text():
    tok = CharTokenizer(western_charset())
    text = "Voilà, señor: naïve Ærø — “quoted” £5 € ½ …\n\tß"
    assert 0 not in tok.encode(text).tolist()
    assert tok.decode(tok.encode(text)) == text


def test_word_tokens_eos_and_detokenisation():
    tok = WordTokenizer.build("Hello, world! Don't stop.\nA (small) test: 5%.\n")
    tokens = tok.split("Hello, world! Don't stop.\n")
    assert tokens == ["Hello", ",", "world", "!", "Don't", "stop", ".", "<eos>", ]
    text = 'He said "yes, (maybe)" and left.\nNext line'
    tok = WordTokenizer.build(text)
    assert tok.decode(tok.encode(text)) == text


def test_word_vocabulary_cap_and_unknown():
    tok = WordTokenizer.build("a a a b b c d", max_vocab=4)
    assert tok.tokens == ["<unk>", "<eos>", "a", "b"]
    assert tok.encode("a c").tolist() == [2, 0]


def test_serialisation_round_trip():
    for tok in (CharTokenizer.build("xyz", lower=True), WordTokenizer.build("x y\nz")):
        again = tokenizer_from_dict(tok.to_dict())
        assert again.tokens == tok.tokens and type(again) is type(tok)
    with pytest.raises(ValueError):
        tokenizer_from_dict({"type": "char", "tokens": ["ab"]})
    with pytest.raises(ValueError):
        tokenizer_from_dict({"type": "bpe", "tokens": []})


def test_smallest_dtype():
    assert smallest_dtype(256) == np.uint8
    assert smallest_dtype(257) == np.uint16
    assert smallest_dtype(70000) == np.uint32


def test_penn_treebank_standard_setup(shared_data):
    from lstmwriter.core.corpus import prepare_corpus

    corpus = prepare_corpus(shared_data / "ptb" / "ptb.train.txt", "word",
                            split_punctuation=False)
    assert corpus.tokenizer.vocab_size == 10_000
    assert len(corpus.ids) == 929_589
    eos = corpus.tokenizer.id_of("<eos>")
    assert int((np.asarray(corpus.ids) == eos).sum()) == 42_068
    assert corpus.tokenizer.id_of("<unk>") == 0


@pytest.mark.parametrize("text,tokens", [
    ("He was goin' home.", ["He", "was", "goin'", "home", "."]),
    ("The girls' books", ["The", "girls'", "books"]),
    ("'quoted' and 'more'", ["'", "quoted'", "and", "'", "more'"]),
    ("'Hello,' she said, 'Hi.'", ["'", "Hello", ",'", "she", "said", ",", "'", "Hi",
                                  ".'"]),
    ("nothin' to yo' head, 'tis rock'n'roll", ["nothin'", "to", "yo'", "head", ",",
                                               "'", "tis", "rock'n'roll"]),
    ("(‘Quoted’) and “double” it’s", ["(", "‘", "Quoted’", ")", "and", "“", "double",
                                      "”", "it’s"]),
])
def test_word_apostrophes_stay_with_their_word_and_round_trip(text, tokens):
    tok = WordTokenizer.build(text)
    assert tok.split(text) == tokens
    assert tok.decode(tok.encode(text)) == text


def test_word_rules_recorded_and_old_models_decode_as_before():
    tok = WordTokenizer.build("goin' home")
    assert tok.to_dict()["rules"] == 2 and tokenizer_from_dict(tok.to_dict()).rules == 2
    saved_before = {"type": "word", "tokens": ["<unk>", "<eos>", "goin", "'", "home"],
                    "lower": False, "split_punctuation": True}  # no "rules" key
    old = tokenizer_from_dict(saved_before)
    assert old.rules == 1 and old.split("goin' home") == ["goin", "'", "home"]
    assert old.decode(old.encode("goin' home")) == "goin ' home"
    with pytest.raises(ValueError, match="rules"):
        tokenizer_from_dict({**saved_before, "rules": 99})


def test_pretokenized_apostrophes_split_on_spaces_only():
    text = "the investors ' money and the firm 's stock"
    tok = WordTokenizer.build(text, split_punctuation=False)
    assert tok.split(text) == text.split()
    assert tok.decode(tok.encode(text)) == "the investors' money and the firm's stock"
