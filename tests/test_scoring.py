from agentcore.scoring import exact_match, normalize_answer


def test_normalisation_drops_case_punctuation_articles_and_spaces():
    assert normalize_answer("  The  Arthur's Magazine. ") == "arthurs magazine"


def test_exact_match():
    assert exact_match("arthur's magazine", "Arthur's Magazine")
    assert exact_match("the Yes", "yes")
    assert not exact_match("First for Women", "Arthur's Magazine")
    assert not exact_match(None, "")
    assert not exact_match("thesis", "sis")  # articles are whole words only
