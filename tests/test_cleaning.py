"""qa.cleaning: the verbatim-segments invariant, and the boilerplate rules on the real seed articles."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.cleaning import classify, clean_text

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SEEDS = sorted(CORPUS.glob("*.txt"))


def assert_segments_valid(raw: str, clean: str, segments) -> None:
    """Each run is verbatim raw text; runs are ordered, disjoint and joined by exactly "\\n\\n"."""
    pos, raw_pos = 0, 0
    for i, (cs, rs, n) in enumerate(segments):
        assert n > 0
        assert clean[cs : cs + n] == raw[rs : rs + n]
        assert cs == pos + (2 if i else 0)
        if i:
            assert clean[pos:cs] == "\n\n"
        assert rs >= raw_pos
        pos, raw_pos = cs + n, rs + n
    assert pos == len(clean)


def seed(prefix: str) -> str:
    return next(p for p in SEEDS if p.name.startswith(prefix)).read_text(encoding="utf-8")


# Pieces that exercise the rules, mixed with random characters and whitespace.
FRAGMENTS = [
    "\n",
    "\n\n",
    "\r\n",
    " ",
    "\t",
    "Advertisement",
    "Read more:",
    "Related:",
    " Alamy",
    "-/Presidency/dpa",
    "(Screenshot from the video)",
    "We need your help now",
    '"',
    "\u201c",
    "Short repeated headline line here",
    "Aug 14, 2024 - 07:36",
    "in-a-b-c-d-e-f",
    "x.",
    "\u00a0",
    "Top Content Trending",
    "Press Association",
    "The minister said the talks went well.",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=12), st.sampled_from(FRAGMENTS)), max_size=40).map("".join))
def test_segments_are_verbatim_on_random_text(raw):
    clean, segments = clean_text(raw)
    assert_segments_valid(raw, clean, segments)
    assert clean == clean.strip()


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name[:3])
def test_segments_are_verbatim_on_real_articles(path):
    raw = path.read_text(encoding="utf-8")
    clean, segments = clean_text(raw)
    assert_segments_valid(raw, clean, segments)
    assert len(clean) > 1000


def test_donation_appeal_and_captions_removed_story_kept():
    clean, _ = clean_text(seed("001"))
    for gone in (
        "We need your help now",
        "readers like you",
        "please contribute",
        "Advertising revenue",
        "Alamy",
        "in-this-photo-provided-by",
        "Press Association",
    ):
        assert gone not in clean
    for kept in (
        "Warehouses are empty.",
        "UKRAINE HAS SHOWN the world",
        "Zelensky seeks air defence help from Baltic nations",
        "\u201cWe have proven that Russia can be stopped, that deterrence is possible,\u201d he said",
    ):
        assert kept in clean


def test_ui_chrome_ads_and_read_more_list_removed():
    clean, _ = clean_text(seed("002"))
    for gone in (
        "Advertisement",
        "Enable Read mode",
        "100% Font Size",
        "Published: Updated:",
        "Read more:",
        "Google News channel",
        "viability wanes",
        "Iran may agree",
        "Lavrov: West seeks",
        "Top Content Trending",
    ):
        assert gone not in clean
    assert "Zelenskyy asks NATO states for additional air defense systems" in clean
    assert clean.endswith("around half has come from European NATO Allies and Canada.")


def test_patron_appeal_dateline_and_repeated_headline_removed():
    clean, _ = clean_text(seed("004"))
    for gone in ("Become a Patron!", "join our community", "cup of coffee", "Related:", "07:36"):
        assert gone not in clean
    headline = "Lithuanian Defense Minister meets Zelenskyy in Kyiv to discuss defense cooperation"
    assert clean.count(headline) == 1 and clean.startswith(headline)
    assert "This is crucial for us,\u201d Zelensky stated." in clean


def test_photo_credits_removed_in_dpa_and_screenshot_articles():
    clean0, _ = clean_text(seed("000"))
    assert "/dpa" not in clean0 and "Ukrainian Presidency" not in clean0
    assert '"He will not stop until we finish him off."' in clean0
    clean3, _ = clean_text(seed("003"))
    assert "Screenshot" not in clean3
    assert "modern air defense systems. This is sorely lacking" in clean3


def test_quotes_protect_lines_from_caption_and_appeal_rules():
    raw = (
        '"We need your help now," the mayor told residents, AP\n\nHe said: \u201cplease donate\u201d to the flood fund'
    )
    assert clean_text(raw)[0] == raw


def test_short_repeated_lines_and_story_mentions_of_agencies_are_kept():
    raw = "Yes.\n\nNo.\n\nYes.\n\nThe minister told Reuters.\n\nMedia firms said advertising revenue fell."
    assert clean_text(raw)[0] == raw


def test_lines_in_a_paragraph_stay_one_run_and_hard_wrapped_prose_is_judged_whole():
    raw = "Headline one\nStandfirst here.\n\nAdvertisement\n\nBody."
    clean, segments = clean_text(raw)
    assert clean == "Headline one\nStandfirst here.\n\nBody." and len(segments) == 2
    wrapped = (
        "The ministry said on Tuesday that the new aid package would include\n"
        "radar systems and ammunition supplied by Reuters\n"
        "partners, officials added."
    )
    assert clean_text(wrapped)[0] == wrapped


def test_read_more_list_stops_at_first_sentence():
    raw = "Story.\n\nRead more:\n\nHeadline A here\n\nHeadline B: there\n\nThe story goes on here."
    assert clean_text(raw)[0] == "Story.\n\nThe story goes on here."
    assert ("Read more:", "related-header") in classify(raw)


def test_empty_and_all_noise_inputs():
    assert clean_text("") == ("", ())
    assert clean_text("  \n\n \t ") == ("", ())
    assert clean_text("Advertisement\n\nTop Content Trending") == ("", ())


def test_lines_repeated_across_many_articles_are_template_boilerplate():
    from qa.templates import template_lines

    footer = "Sign in to get the Morning Digest every weekday"
    stories = [
        f"Story {i} headline here\n\nThe council met on day {i} and approved item {i}.\n\n{footer}\n\nAd Feedback"
        for i in range(10)
    ]
    stories.append("A one-line record is all story and never a template source.")
    templates = template_lines(stories)
    assert footer in templates and "Ad Feedback" in templates
    assert not any("council met" in t for t in templates)
    clean, segments = clean_text(stories[3], templates)
    assert footer not in clean and "approved item 3" in clean
    assert_segments_valid(stories[3], clean, segments)
    assert (footer, "template") in classify(stories[3], templates)


def test_calls_to_action_ad_widgets_and_kickers_of_any_outlet_are_removed():
    raw = (
        "HAPPENING LATER\n\nSign up for The Daily Ledger's Morning Brief newsletter\n\n"
        "How relevant is this ad to you?\n\nBecome a member today!\n\nDark mode\n\n"
        "The mayor opened the new bridge on Monday.\n\nBuy us a coffee to keep us going"
    )
    assert clean_text(raw)[0] == "The mayor opened the new bridge on Monday."


def test_story_lines_that_mention_ads_or_joining_are_kept():
    raw = (
        "The ad campaign cost the party $2 million.\n\nShe will join the board of the bank in May.\n\n"
        "Supporters joined the march through the city."
    )
    assert clean_text(raw)[0] == raw


@pytest.mark.parametrize(
    "text,title",
    [
        (
            "CNN —\n\nSign up for CNN's Five Things newsletter\n\nSenate passes the budget after all-night session\n\n"
            "The Senate voted on Tuesday.",
            "Senate passes the budget after all-night session",
        ),
        (
            "London (Reuters) — Britain's economy grew 0.3% in the third quarter, official data showed on Friday.\n\n"
            "Growth beats forecasts as services rebound",
            "Growth beats forecasts as services rebound",
        ),
        ("WASHINGTON (AP) — The president signed the bill on Monday.", "The president signed the bill on Monday."),
        (
            "Harbour reopens after storm damage repaired\n\nThe harbour reopened.",
            "Harbour reopens after storm damage repaired",
        ),
    ],
)
def test_titles_skip_datelines_and_calls_to_action(text, title):
    from qa.metadata import guess_title

    assert guess_title(text) == title
