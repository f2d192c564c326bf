"""The extractive answerer: question types, short-answer spans, verbatim quotes, abstention, the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa import entities, evidence, office_questions, offices, qtype
from qa.answer import ABSTAIN_TEXT, WEAK_FIT, answer_span, best_span
from qa.errors import InvalidQuestionError, LLMError

from .conftest import SHARED


@pytest.mark.parametrize(
    "question,kind",
    [
        ("How many missiles were fired?", qtype.NUMBER),
        ("What share of the drones was intercepted?", qtype.PERCENT),
        ("How many drones were intercepted?", qtype.NUMBER),
        ("When did the Baltic states regain independence?", qtype.DATE),
        ("In what year did they join NATO?", qtype.DATE),
        ("Who signed the agreement?", qtype.PERSON),
        ("Which minister visited Kyiv?", qtype.PERSON),
        ("Where was the press conference held?", qtype.PLACE),
        ("Which three countries did the trip cover?", qtype.PLACE),
        ("What did Zelensky say about NATO?", qtype.OTHER),
    ],
)
def test_question_types(question, kind):
    assert qtype.question_type(question) == kind


def span_text(sentence, kind, question):
    words = {w.lower() for w in question.replace("?", "").split()}
    span = best_span(sentence, kind, words)
    return sentence[span[0] : span[1]] if span else None


@pytest.mark.parametrize(
    "sentence,kind,question,expected",
    [
        (
            "Zelensky said Russia fired at least 500 missiles and drones at Ukraine.",
            qtype.NUMBER,
            "How many missiles did Russia fire",
            "at least 500",
        ),
        (
            "Some 70% of these were intercepted by Ukraine's air defences.",
            qtype.PERCENT,
            "What share was intercepted",
            "Some 70%",
        ),
        (
            "The pact was signed in Brussels on 24 June 2024 by both presidents.",
            qtype.DATE,
            "When was the pact signed",
            "24 June 2024",
        ),
        (
            "They regained independence with the breakup of the Soviet Union in 1991.",
            qtype.DATE,
            "When did they regain independence",
            "1991",
        ),
        (
            "The deal, which he and Lithuanian President Gitanas Nausėda signed in Brussels, matters.",
            qtype.PERSON,
            "Who signed the deal",
            "Gitanas Nausėda",
        ),
        (
            "Zelenskyy spoke at a joint press conference with NATO Secretary General Jens Stoltenberg in Kyiv.",
            qtype.PLACE,
            "Where was the joint press conference held",
            "Kyiv",
        ),
        (
            "Russia fired at least 500 missiles, and 70% of them were shot down.",
            qtype.PERCENT,
            "What share of the missiles were shot down",
            "70%",
        ),
        ("Nothing numeric here at all.", qtype.NUMBER, "How many", None),
    ],
)
def test_short_answer_spans(sentence, kind, question, expected):
    assert span_text(sentence, kind, question) == expected


@pytest.mark.parametrize(
    "question,roles,owners",
    [
        ("Who is Russia's defence minister?", {"defens", "minist"}, {"@RU"}),
        ("Who is the president of Estonia quoted here?", {"presid"}, {"@EE"}),
        ("Who is the French president?", {"presid"}, {"@FR"}),
        ("Who is the US president?", {"presid"}, {"@US"}),
        ("Who is the chancellor of the United Kingdom?", {"chancellor"}, {"@GB"}),
        ("Who is Acme Bank's chief economist?", {"chief", "economist"}, {"acm", "bank", "ab"}),  # + initials
        ("Who is the coach of the Riverside Rovers?", {"coach"}, {"riversid", "rover", "rr"}),
        ("Who was the ruling class ahead of the Normans?", set(), set()),  # "ahead" is no office
        ("Russia's army is where?", set(), set()),  # a capital first word is no owner
        ("How many Patriots has Germany sent?", set(), set()),
        ("Who is the Acme director?", {"director"}, {"acm"}),  # an organisation before the role owns it
        ("Which Texas senator spoke?", {"senat"}, {"texa"}),
        # the subject of "Who did <subject> <verb>" and the object of "Who <verb>" are not the one asked for
        ("Who did the French president meet in Paris?", set(), set()),
        ("Who did Acme's board install as interim chief?", set(), set()),
        ("Who met the Labor leader?", set(), set()),
        # an office title written with capitals reads as one written without
        ("Who is the Australian Prime Minister?", {"prime", "minist"}, {"@AU"}),
        ("Who is the US Secretary of State?", {"secretari"}, {"@US", "state"}),
        ("Who is Acme Bank's Chief Economist?", {"chief", "economist"}, {"acm", "bank", "ab"}),
        # an office with no owner named is still an office; a hyphenated title is one
        ("Who is the Prime Minister?", {"prime", "minist"}, set()),
        ("Who is the Governor-General?", {"governor-gener"}, set()),
        ("Who is the man?", set(), set()),  # a person noun, not an office
        ("Who is Jo Judge?", set(), set()),  # a name, though its last word is a role
    ],
)
def test_question_roles(question, roles, owners):
    assert office_questions.question_roles(question) == (roles, owners)


@pytest.mark.parametrize(
    "sentence,owners",
    [
        ("Talks were held with Iran's Minister of Foreign Affairs, Ali Rahimi.", {"@IR", "affair"}),
        ("Iranian Foreign Minister Ali Rahimi met his Chinese counterpart.", {"@IR"}),
        ("Chinese Foreign Minister Wang Lei arrived in Paris.", {"@CN"}),
        ("The foreign minister of Britain, Jane Doe, flew home.", {"@GB"}),
        ("The minister spoke in Paris on Tuesday.", set()),  # a role with no owner named
        ("France's parliament approved the budget.", set()),  # an owner of another thing
        ("On Tuesday, Foreign Minister Ali Rahimi said so.", set()),  # a modifier of the office is no owner
        ("The Iranian team foreign minister spoke.", {"@IR"}),  # a common noun between owner and office
        ("It rejected Ali Rahimi's bid to become foreign minister.", set()),  # the possessive owns the bid
    ],
)
def test_sentence_owners_of_the_asked_role(sentence, owners):
    # the portfolio after "of" ("Foreign Affairs") may count as an owner; only a country or name matters
    assert offices.sentence_owners(sentence, {"foreign", "minist"}) == owners


@pytest.mark.parametrize(
    "sentence,roles,holder",
    [
        ("German Chancellor Angela Merkel said the talks went well.", {"chancellor"}, "Angela Merkel"),
        ("Angela Merkel, the German chancellor, said the talks went well.", {"chancellor"}, "Angela Merkel"),
        ("The chancellor of Germany, Angela Merkel, said the talks went well.", {"chancellor"}, "Angela Merkel"),
        ("Acme Bank chief economist John Smith says rates will rise.", {"chief", "economist"}, "John Smith"),
        ("Riverside coach Mary Jones praised her players.", {"coach"}, "Mary Jones"),
        ("On Monday, Treasury Secretary Tom Brown resigned.", {"secretari"}, "Tom Brown"),
        ("The board named Jane Roe as chief executive on Monday.", {"chief", "execut"}, "Jane Roe"),
        ("The party appointed Tom Brown as its leader.", {"leader"}, "Tom Brown"),
        ("The party appointed Tom Brown as interim leader.", {"deputi", "leader"}, None),  # another office
        ("The Palestinian leader, Ann Roe, condemned the attack.", {"leader"}, "Ann Roe"),  # an apposition
        ("After meeting the leader, Ann Roe flew home.", {"leader"}, None),  # a clause, not an apposition
        ("US Secretary of State Colin Powell flew home.", {"secretari"}, "Colin Powell"),  # the office has "of"
        ("The Chief of Army Peter Cosgrove spoke.", {"chief"}, "Peter Cosgrove"),
        ("Minister for Foreign Affairs Jo Roe spoke.", {"minist"}, "Jo Roe"),
        ("His secretary of state Ann Roe Smith spoke.", {"secretari"}, None),  # no two-word name ends it
    ],
)
def test_office_holders_by_title_name_patterns(sentence, roles, holder):
    assert [sentence[s:e] for s, e in offices.holder_spans(sentence, roles)][:1] == ([holder] if holder else [])


@pytest.mark.parametrize(
    "form,code",
    [
        ("France", "FR"),
        ("French", "FR"),
        ("US", "US"),
        ("U.S.", "US"),
        ("United States", "US"),
        ("American", "US"),
        ("Iran", "IR"),
        ("Iranian", "IR"),
        ("Britain", "GB"),
        ("British", "GB"),
        ("UK", "GB"),
        ("China", "CN"),
        ("Chinese", "CN"),
        ("Russia", "RU"),
        ("Russian", "RU"),
        ("Israelis", "IL"),
        ("Australian", "AU"),
        ("us", None),
        ("Paris", None),
    ],
)
def test_countries_meet_their_demonyms_and_short_forms(form, code):
    assert entities.country_code(form) == code


@pytest.mark.parametrize(
    "question,sentence,other",
    [
        ("Who is the prime minister of Spain?", "He met Spain's Minister of National Defence, Ana Ruiz.", True),
        ("Who is Spain's foreign minister?", "On Tuesday, Foreign Minister Ana Ruiz said so.", False),
        ("Who is Spain's defence minister?", "He met Spain's Minister of National Defence, Ana Ruiz.", False),
        ("Who is the prime minister of Spain?", "Spain approved an aid plan.", False),  # no office named
        ("Who is the president of Chile?", "Chilean President Ana Ruiz spoke.", False),  # no modifier asked
        ("Who is the French president?", "President Ana Ruiz spoke in Paris.", False),  # an owner is no modifier
    ],
)
def test_a_differently_qualified_office_is_another_office(question, sentence, other):
    assert offices.other_office(sentence, office_questions.office_modifiers(question)) is other


@pytest.mark.parametrize(
    "question,kind",
    [
        ("Which team won the grand final?", qtype.ENTITY),
        ("Which club did the striker join?", qtype.ENTITY),
        ("What company makes the engines?", qtype.ENTITY),
        ("Which party won the most seats?", qtype.ENTITY),
        ("Which player scored the winning goal?", qtype.PERSON),
        ("Which senator proposed the amendment?", qtype.PERSON),
        ("Which economist predicted the rate rise?", qtype.PERSON),
        ("What is the name of the coach who resigned?", qtype.PERSON),
        ("Which police officer led the inquiry?", qtype.PERSON),
        ("In which suburb is the stadium?", qtype.PLACE),
        ("Which island did the yacht reach?", qtype.PLACE),
        ("Where was the reporter who broke the story?", qtype.PLACE),  # the leading wh-word decides
        ("What reason did the minister give?", qtype.OTHER),
        # a noun for an amount asks for a number, after "what" or "what is/was (the)"
        ("What was the death toll from the storm?", qtype.NUMBER),
        ("What is the population of the island?", qtype.NUMBER),
        ("What temperature did the city reach?", qtype.NUMBER),
        ("What was the name of the count of Toulouse?", qtype.OTHER),  # "count" is too often no amount
    ],
)
def test_question_types_from_the_noun_asked_for(question, kind):
    assert qtype.question_type(question) == kind


@pytest.mark.parametrize(
    "question,head",
    [
        ("Which Greens senator plans to move a motion?", "senator"),  # "plans to": a verb, not the noun
        ("Which company leads the market?", "company"),
        ("Which law firm filed the lawsuit?", "firm"),
        ("In which states does the law apply?", "states"),
        ("What is one way in which graphs are encoded?", None),  # "in which" after "what": a relative clause
        ("The group fell out with which Palestinian leader?", "leader"),  # no wh-word before it: asked
        ("What was the name of the Norman castle?", None),  # "Norman": a name's adjective, no role noun
    ],
)
def test_the_noun_asked_for_ends_before_a_verb_or_a_relative_clause(question, head):
    assert qtype.head_noun(question) == head


@pytest.mark.parametrize(
    "sentence,name",
    [
        ("US Secretary of State Colin Powell arrived in Cairo.", "Colin Powell"),  # titles, "of", then the name
        ("King Charles III of West Francia signed it.", "Charles III"),  # the name, then what it rules
    ],
)
def test_a_titled_name_around_of(sentence, name):
    assert [sentence[s:e] for s, e in qtype.candidates(sentence, qtype.PERSON)] == [name]


@pytest.mark.parametrize(
    "sentence,name",
    [
        ("More than 20 coastguard vessels chased Jo Roe.", "Jo Roe"),  # a function word capitalised by position
        ("Most voters backed Jo Roe.", "Jo Roe"),
        ("Police say Jo Roe was held.", "Jo Roe"),  # a lone common noun capitalised by position
        ("Conservationists praised Jo Roe.", "Jo Roe"),  # an agent noun ("-ist") in the plural
        ("Police Commissioner Jo Roe spoke.", "Jo Roe"),  # the title still leads to the name
        ("Six midwives told Jo Roe.", "Jo Roe"),  # a number word
        ("Another boat beat Jo Roe.", "Jo Roe"),  # a determiner
        ("Police hunt Osama bin Laden.", "Osama bin Laden"),  # a name particle joins the name
        ("Scores of troops guard Jo Roe.", "Jo Roe"),
        ("An Islamic high court sentenced Jo Roe.", "Jo Roe"),  # after "a/an": describes an unnamed thing
        ("Jo Roe joined a Melbourne team.", "Jo Roe"),
    ],
)
def test_a_sentence_opening_function_word_is_no_name(sentence, name):
    assert [sentence[s:e] for s, e in qtype.candidates(sentence, qtype.PERSON)] == [name]


@pytest.mark.parametrize(
    "question,sentence,expected,fit",
    [
        # "according to" names a source, not a place; "treasurer" is a role noun before the name
        ("Who said rates would rise?", "Rates would rise, according to Treasurer Jo Roe.", "Jo Roe", 1.0),
        ("Who said rates would rise?", '"Rates will rise," Mr Roe said.', "Roe", 1.0),  # an honorific: a person
        ("Who said rates would rise?", "Rates will rise, Westpac said.", "Westpac", 0.5),  # a lone capital
    ],
)
def test_who_answers_from_sources_and_honorifics(question, sentence, expected, fit):
    span, got = answer_span(sentence, evidence.analyse(question))
    assert sentence[span[0] : span[1]] == expected and got == fit


@pytest.mark.parametrize(
    "name,kind",
    [
        ("Fatah Revolutionary Council", "entity"),
        ("State Department", "entity"),  # the last kind noun is the name's head
        ("Bank of England", "entity"),  # before "of"
        ("Commissioner of Police", "person"),
        ("Dongting Lake", "place"),
        ("North America", "place"),  # a continent
        ("United Nations", None),  # a plural says little
        ("John Howard", None),
    ],
)
def test_the_kind_a_name_itself_states(name, kind):
    from qa.nouns import name_kind

    assert name_kind(name) == kind


@pytest.mark.parametrize(
    "question,sentence,fit",
    [
        # a name of another kind than the noun asked for, away from it, answers nothing asked
        ("Which state does he represent?", "Reform Party sources said so on Tuesday.", 0.1),
        ("Which group leads the campaign?", "Iraqis from across North America will train.", 0.1),
        ("Which state does he represent?", "He spoke to former leader Jo Roe in Perth.", 0.6),  # Perth
        ("Which group leads the campaign?", "The Free Iraq Council will train them.", 0.6),
        # beside the noun asked for, but of another kind by its own words
        ("Which school is it about?", "It was at a school when he was Archbishop of Brisbane.", 0.1),
        ("On which channel did he speak?", "He spoke on his official Telegram channel.", 1.0),  # "official" no title
    ],
)
def test_a_name_of_another_kind_does_not_answer_a_which_question(question, sentence, fit):
    _, got = answer_span(sentence, evidence.analyse(question))
    assert got == pytest.approx(fit)


@pytest.mark.parametrize(
    "question,sentence,expected",
    [
        (
            "How old is the winner?",
            "The winner, a 61-year-old teacher, was named on Monday after 30 entries.",
            "61-year-old",
        ),
        ("How old is the winner?", "Ms Smith, 45, won ahead of 300 others.", "45"),
        ("How old was the driver?", "The driver, aged 19, was one of 12 people hurt.", "aged 19"),
        ("How many seats did the party win?", "In 2019 the party had 12 members and won 41 seats from 150.", "41"),
        ("How much did the club pay for him?", "The club, with 20 players, paid $4 million for him.", "$4 million"),
    ],
)
def test_numbers_of_the_asked_for_kind(question, sentence, expected):
    span, fit = answer_span(sentence, evidence.analyse(question))
    assert sentence[span[0] : span[1]] == expected and fit == 1.0


def test_a_number_of_another_kind_fits_less():
    asked = evidence.analyse("How many children were orphaned?")
    _, share = answer_span("The infection rate is 19 per cent among adults.", asked)
    _, other_count = answer_span("Some 300 adults were infected last year.", asked)
    # a share or a sum is no count at all (below WEAK_FIT: the answer is penalised), a count of other
    # things is a weaker count
    assert share < WEAK_FIT < other_count < 1.0
    _, sum_ = answer_span("Donors gave $40 million to the orphanage.", asked)
    assert sum_ < WEAK_FIT
    _, fit = answer_span("Some 300 children were orphaned last year.", asked)
    assert fit == 1.0


@pytest.mark.parametrize(
    "window,article,date,agreement",
    [
        ("The 2022 race was won by a 20-1 outsider.", "", None, "fits"),
        ("Celebrities attended the race.", "The 2016 race ...", "2016-05-07", "other"),
        ("Celebrities attended the race.", "Looking back at 2022 ...", "2016-05-07", "unknown"),
        ("The favourite won the race.", "", "2022-05-07", "fits"),
        ("The favourite won the race.", "", None, "unknown"),
    ],
)
def test_a_year_in_the_question_must_fit_the_sentence_or_its_article(window, article, date, agreement):
    asked = evidence.analyse("Who won the 2022 derby?")
    assert evidence.year_agreement(asked, window, article, date) == agreement


def test_citations_quote_the_document_verbatim(fake_assistant):
    answer = fake_assistant.ask("When did the Baltic states regain independence from the Soviet Union?")
    assert not answer.abstained and answer.citations
    for c in answer.citations:
        assert fake_assistant.document(c.doc_id).text[c.start : c.end] == c.quote
        assert f"[{c.n}]" in answer.text


def test_nonsense_question_abstains_but_lists_passages(fake_assistant):
    answer = fake_assistant.ask("Quantum chromodynamics lattice gauge gluon?")
    assert answer.abstained and answer.text == ABSTAIN_TEXT and answer.citations == []
    assert answer.passages


@pytest.mark.parametrize("bad", ["", "   \n\t", "x" * 5000])
def test_invalid_questions_are_refused(fake_assistant, bad):
    with pytest.raises(InvalidQuestionError):
        fake_assistant.ask(bad)


def test_llm_mode_without_model_is_a_clear_error(fake_assistant):
    with pytest.raises(LLMError, match="no local model"):
        fake_assistant.ask("Who signed?", mode="llm")


def test_answer_dict_and_markdown(fake_assistant):
    answer = fake_assistant.ask("Who signed the Security Cooperation Agreement?")
    d = answer.to_dict()
    assert set(d) >= {"question", "answer", "short_answer", "abstained", "mode", "citations", "passages"}
    assert json.loads(json.dumps(d)) == d
    assert "Sources:" in answer.to_markdown() or answer.abstained


def _dev_questions():
    path = SHARED / "dev_questions.jsonl"
    if not path.exists():
        pytest.skip(f"{path} is not beside the repo")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.slow
def test_dev_questions_answered_from_right_source_or_abstained(real_assistant):
    """The issue's goal: every answerable dev question answered with a verbatim quote from a right source
    (and the gold answer in the answer), both unanswerable ones abstained."""
    failures = []
    for q in _dev_questions():
        answer = real_assistant.ask(q["question"])
        if q.get("unanswerable"):
            if not answer.abstained:
                failures.append((q["id"], "should abstain", answer.text[:80]))
            continue
        sources = {c.doc_id for c in answer.citations}
        hit = any(a.lower() in answer.text.lower() for a in q["answers"])
        if answer.abstained or not hit or not sources & set(q["sources"]):
            failures.append((q["id"], answer.abstained, answer.text[:80]))
        for c in answer.citations:
            assert real_assistant.document(c.doc_id).text[c.start : c.end] == c.quote
    assert not failures, failures


@pytest.mark.slow
def test_a_sentence_about_another_countrys_minister_is_no_answer(real_assistant):
    """The role asked for is given to another owner ("Lithuania's Minister of National Defense"):
    abstain rather than cite it, while the owner it names still gets that sentence."""
    assert real_assistant.ask("Who is Russia's defence minister?").abstained
    answer = real_assistant.ask("Who is Lithuania's defence minister?")
    assert not answer.abstained and "Kasčiūnas" in answer.citations[0].quote


def test_rebuild_swaps_index_and_answers_from_new_article(tmp_path):
    from qa import Assistant
    from qa.build import build_index

    from .conftest import copy_corpus

    corpus = copy_corpus(tmp_path / "corpus")
    build_index(corpus, tmp_path / "idx", "fake")
    assistant = Assistant.load(tmp_path / "idx", model="fake")
    assistant.settings.corpus_dir = corpus
    before = assistant.index
    (corpus / "harbour.txt").write_text("Port news\n\nThe harbour of Klaipeda handled 47 grain ships in March.\n")
    report = assistant.rebuild()
    assert report.documents == 6 and assistant.index is not before
    answer = assistant.ask("How many grain ships did the harbour of Klaipeda handle?")
    assert not answer.abstained and answer.citations[0].doc_id == "harbour.txt"
    assert (
        assistant.document("harbour.txt").text[answer.citations[0].start : answer.citations[0].end]
        == answer.citations[0].quote
    )


@pytest.mark.slow
def test_floors_on_the_labelled_news_questions(real_index):
    """Floors, not exact outputs: measured 94.9% answer hit and 92.9% unanswerable abstained at the
    time of writing (README "Abstention"); a change that drops either by more than a few points fails."""
    from qa.evaluate import run_eval

    m = run_eval(Path(__file__).parent / "data" / "news_questions.jsonl", index_dir=real_index).metrics
    assert m["answer_hit"] >= 0.90 and m["abstain_recall"] >= 0.85 and m["citation_validity"] == 1.0


def test_an_answer_from_an_article_of_another_year_says_so(tmp_path):
    """ "Who won the 2022 race?" must not be answered as if a 2016 article about that race said so."""
    from qa import Assistant
    from qa.build import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "old.md").write_text(
        "---\ntitle: Stars at the derby\ndate: 2016-05-07\n---\n\n"
        "The historian John Carter was among the celebrities at the derby, "
        "which was won by Red Comet.\n"
    )
    build_index(corpus, tmp_path / "idx", "fake")
    from qa import config

    # see the answer whatever its confidence
    assistant = Assistant.load(tmp_path / "idx", model="fake", settings=config.settings(abstain_below=float("-inf")))
    answer = assistant.ask("Who won the 2022 derby?")
    assert "2016-05-07" in answer.note and "2022" in answer.note
    same_year = assistant.ask("Who won the 2016 derby?")
    assert not same_year.note and same_year.confidence > answer.confidence


def test_the_neighbour_that_holds_the_asked_for_kind_is_quoted(tmp_path):
    """The event in one sentence, the age in the next: the answer quotes both and cuts the age."""
    from qa import Assistant
    from qa.build import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "court.txt").write_text(
        "School sued\n\nA former student is suing the grammar school in the county court over bullying. "
        "Sam Lee, 17, said he left after a year of threats. The hearing resumes in March.\n"
    )
    build_index(corpus, tmp_path / "idx", "fake")
    from qa import config

    assistant = Assistant.load(tmp_path / "idx", model="fake", settings=config.settings(abstain_below=float("-inf")))
    answer = assistant.ask("How old is the student suing the grammar school?")
    assert "17" in (answer.short_answer or "") and any("Sam Lee, 17" in c.quote for c in answer.citations)


@pytest.mark.parametrize(
    "sentence,question,expected",
    [
        ("Senator Tom Brown said the state would vote.", "Which state does he represent?", None),  # a person
        ("He flew to Prince Edward Island on Monday.", "Where did he fly?", "Prince Edward Island"),
    ],
)
def test_a_titled_name_is_a_person_not_a_place(sentence, question, expected):
    span, _ = answer_span(sentence, evidence.analyse(question))
    assert (sentence[span[0] : span[1]] if span else None) == expected


def test_an_office_question_answered_by_no_holder_loses_confidence():
    """A name that holds no office asked about (fit 0.1) costs most of the absent-type penalty; a plain
    name (fit 0.5) costs nothing: the penalty grows as the fit falls below WEAK_FIT."""
    from qa.answer import ABSENT_PENALTY, WEAK_FIT, Scored, confidence

    def conf(fit: float) -> float:
        return confidence(Scored(0, 0, 0.0, 0.6, 0.6, fit, 0, None))

    assert conf(0.5) - conf(WEAK_FIT) == pytest.approx(0.1 * (0.5 - WEAK_FIT))
    assert conf(WEAK_FIT) - conf(0.1) > 0.5 * ABSENT_PENALTY
    assert conf(0.0) < conf(0.1) < conf(0.2) < conf(WEAK_FIT)


@pytest.mark.parametrize(
    "text,expansion",
    [
        ("Who is the president of Nigeria?", "Nigerian"),
        ("Who is the French defence minister?", "France"),
        ("Who is Britain's prime minister?", "United Kingdom British"),  # the United Kingdom, not Wales
        ("Nigerian President Ann Roe met Nigeria's envoy.", ""),  # both forms already there
        ("What did United States officials say?", "American"),  # a form of several words is used too
        ("Who won the race?", ""),
    ],
)
def test_a_country_is_also_searched_in_its_other_common_form(text, expansion):
    assert entities.country_expansion(text) == expansion


@pytest.mark.parametrize(
    "text,expansion",
    [
        ("Who is the president of Nigeria?", "Nigerian"),  # after "of"
        ("Who is Nigeria's president?", "Nigerian"),  # possessive
        ("What did French troops find?", "France"),  # before the noun it qualifies
        ("Between which dates were missiles fired at Ukraine?", ""),  # a place, not a qualifier
        ("How many people live in France?", ""),
    ],
)
def test_lexical_search_adds_the_other_form_only_for_a_qualifying_country(text, expansion):
    """News writes "Nigerian President X" for "the president of Nigeria", but "fired at Ukraine" in the
    same form the question uses: adding "Ukrainian" there only tilts BM25 toward other articles."""
    assert entities.country_expansion(text, modifiers_only=True) == expansion


def test_a_title_with_the_demonym_answers_a_question_naming_the_country(tmp_path):
    """ "Nigerian President Ann Roe" answers "Who is the president of Nigeria?" ahead of sentences that
    only name Nigeria (lexical search and the answerer's word overlap both meet the two forms)."""
    from qa import Assistant
    from qa.build import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "court.txt").write_text(
        "Court news\n\nA court in northern Nigeria rejected an appeal today by a mother sentenced to death. "
        "Ministers from Ghana, Kenya and Nigeria will meet in London tomorrow.\n"
    )
    (corpus / "visit.txt").write_text(
        "Visit\n\nNigerian President Ann Roe said she would weep if the mother sentenced to death is killed.\n"
    )
    for n in range(6):  # "president" is a common word of the corpus, "Nigeria" a rare one
        (corpus / f"other{n}.txt").write_text(f"Other {n}\n\nThe president of club {n} spoke to the president.\n")
    build_index(corpus, tmp_path / "idx", "fake")
    answer = Assistant.load(tmp_path / "idx", model="fake").ask("Who is the president of Nigeria?")
    assert not answer.abstained and answer.short_answer == "Ann Roe"
    assert answer.citations[0].doc_id == "visit.txt"


def test_the_answerers_word_caches_are_bounded(fake_assistant, monkeypatch):
    """A long-running chat over an archive keeps a bounded number of sentences' and articles' word sets."""
    from qa import answer

    monkeypatch.setattr(answer, "SENTENCE_CACHE", 5)
    monkeypatch.setattr(answer, "ARTICLE_CACHE", 2)
    extractor = answer.Extractor(fake_assistant.index)
    for question in ("How many drones were fired?", "Who is the president of Estonia?", "What did NATO say?"):
        qvec = fake_assistant.encode_question(question)
        passages, rows = fake_assistant._passages(fake_assistant.index, question, qvec, 5, None)
        extractor.score_sentences(question, qvec, passages, rows)
    assert extractor._sentence_tokens.cache_info().currsize == 5  # more than 5 were read
    assert extractor.article_tokens.cache_info().currsize <= 2


def test_a_name_inside_a_hyphenated_word_is_in_the_text():
    """ "al-Qa'ida" mentions the "Qa'ida" a question's names hold (no missing-name penalty)."""
    names = evidence.analyse("How many meetings did al-Qa'ida leaders hold with el-Sisi?").names
    assert names and names <= entities.text_keys("Leaders of al-Qa'ida met President el-Sisi twice.")


def test_the_country_pattern_matches_as_a_flat_longest_first_alternation():
    """The prefix-trie pattern finds exactly what the plain alternation of every form (longest first) finds."""
    import random
    import re

    table = entities._table()[0]
    flat = re.compile(
        r"(?<![\w.])(?:" + "|".join(re.escape(f) for f in sorted(table, key=len, reverse=True)) + r")(?![\w])(?:['’]s)?"
    )
    rng = random.Random(7)
    forms = sorted(table)
    glue = [" ", ", ", " and ", "'s ", ".", "-", "", " the ", " United ", " New "]
    text = "".join(rng.choice(forms) + rng.choice(glue) for _ in range(3000))
    assert [m.span() for m in entities._table()[1].finditer(text)] == [m.span() for m in flat.finditer(text)]


def test_a_close_sentence_that_names_the_answer_leads():
    """The event in one sentence (no name), the person two sentences on, scored within SECOND_WITHIN: the
    named one leads, so the evidence judged is the sentence that answers; a far one does not."""
    from qa.answer import SECOND_WITHIN, Scored, _typed_first

    def sc(row, score, fit):
        return Scored(row, 0, score, 0.5, 0.5, fit, 0, (0, 3) if fit else None)

    event, named, far = sc(1, 1.0, 0.0), sc(3, SECOND_WITHIN + 0.01, 1.0), sc(5, SECOND_WITHIN - 0.05, 1.0)
    assert [s.row for s in _typed_first([event, named, far])] == [3, 1, 5]
    assert [s.row for s in _typed_first([event, far])] == [1, 5]  # not close enough: unchanged
    typed_best = sc(2, 1.0, 0.6)
    assert _typed_first([typed_best, named]) == [typed_best, named]  # the best already answers


def test_a_place_is_no_answer_to_who():
    asked = evidence.analyse("Who found the boy?")
    span, _ = answer_span("The boy was found on Elliot Street by Jo Roe.", asked)
    assert span is not None and "The boy was found on Elliot Street by Jo Roe."[span[0] : span[1]] == "Jo Roe"


@pytest.mark.parametrize(
    "question,sentence,lesser",
    [
        ("Who is the chief executive of Acme?", "Acme's deputy chief executive Jo Roe said so.", True),
        ("Who is the president of Chile?", "Former president Jo Roe spoke.", True),
        ("Who is the vice president of Chile?", "Vice President Jo Roe spoke.", False),  # asked for
        # the office itself is named too: not only a lesser one
        (
            "Who is the chief executive of Acme?",
            "Chief executive Ann Lee and her deputy chief executive Jo Roe met.",
            False,
        ),
    ],
)
def test_a_lesser_or_past_office_is_another_office(question, sentence, lesser):
    asked = evidence.analyse(question)
    assert offices.lesser_office(sentence, asked.roles, asked.words) is lesser


def test_an_owner_meets_its_initials():
    """ "AFP Commissioner X" gives the office to the Australian Federal Police, not to another owner."""
    asked = evidence.analyse("Who is the commissioner of the Australian Federal Police?")
    sentence = "AFP Commissioner Jo Roe says the arrest will have a big impact."
    assert offices.sentence_owners(sentence, asked.roles) <= asked.owners
    span, fit = answer_span(sentence, asked)
    assert sentence[span[0] : span[1]] == "Jo Roe" and fit == 1.0


def test_an_organisation_holds_no_office():
    asked = evidence.analyse("Who is the sheriff of Elkhart County?")
    _, fit = answer_span("The gunman died, Elkhart County Sheriff's Department said in a statement.", asked)
    assert fit < WEAK_FIT


@pytest.mark.parametrize(
    "question,roles,owners",
    [
        ("Who captains India in the Test series?", {"captain"}, {"@IN"}),  # the verb is the role itself
        ("Who leads the Greens?", {"leader"}, {"green"}),  # the verb's doer is the role
        ("Who governs the Reserve Bank?", {"governor"}, {"reserv", "bank", "rb"}),
        ("Who attacked the convoy?", set(), set()),  # no role does "attack"
        ("Who skippered Assa Abloy?", {"skipper"}, {"assa", "abloy", "aa"}),  # past tense of a role verb
        ("Who killed Jo Roe?", set(), set()),  # the past of an act: "killer" is no office
        ("Who led Richard's troops?", set(), set()),
    ],
)
def test_a_verb_whose_doer_is_a_role_asks_for_its_holder(question, roles, owners):
    assert office_questions.question_roles(question) == (roles, owners)


def test_a_holder_of_another_role_does_not_answer_a_verb_office_question():
    asked = evidence.analyse("Who captains India in the Test series?")
    _, fit = answer_span("England batsman Jo Roe was given out handling the ball.", asked)
    _, captain = answer_span("India captain Sourav Ganguly won the toss.", asked)
    assert fit < WEAK_FIT and captain == 1.0


@pytest.mark.parametrize(
    "question,sentence,short",
    [
        # a province, state or capital (countryinfo) is no person
        ("Who said the rain brought relief?", "Jo Roe said the rain brought New South Wales relief.", "Jo Roe"),
        ("Who guards the streets?", "Jo Roe said troops guard the streets of Western Australia.", "Jo Roe"),
        ("Which senator spoke?", "Senator Jo Roe spoke, and Queensland voted.", "Jo Roe"),
        # teams and governments are named by places: a "which team" answer may be one
        ("Which team won the final?", "Queensland won the final by six wickets.", "Queensland"),
    ],
)
def test_a_place_named_whole_is_no_person(question, sentence, short):
    span, _ = answer_span(sentence, evidence.analyse(question))
    assert span is not None and sentence[span[0] : span[1]] == short


@pytest.mark.parametrize(
    "sentence,dates,places",
    [
        ("The yacht crossed the line at 2:15am.", ["2:15am"], []),  # a time of day answers "at what time"
        ("The quake measured 4.10 at 6 p.m. in Perth.", ["6 p.m."], ["Perth"]),  # a decimal is no time
        ("Canoeists are enjoying New Years Eve in Echuca.", ["New Years Eve"], ["Echuca"]),  # a day, no place
    ],
)
def test_times_of_day_and_named_days_are_times(sentence, dates, places):
    assert [sentence[s:e] for s, e in qtype.candidates(sentence, qtype.DATE)] == dates
    assert [sentence[s:e] for s, e in qtype.candidates(sentence, qtype.PLACE)] == places


@pytest.mark.parametrize(
    "question,sentence,holder",
    [
        # the title right before the name must be the office asked for, not another of the same word
        ("Who is the Israeli Foreign Minister?", "The Egyptian Foreign Minister met Prime Minister Ann Roe.", None),
        ("Who is the Israeli Foreign Minister?", "Talks with Israeli Foreign Minister Ann Roe ended.", "Ann Roe"),
        ("Whose bid to lead the party failed?", "The board rejected Ann Roe's bid to lead the party.", None),
    ],
)
def test_the_holder_holds_the_office_asked_for(question, sentence, holder):
    _, span = evidence.holder_fit(sentence, evidence.analyse(question))
    assert (sentence[span[0] : span[1]] if span else None) == holder


def test_a_short_answer_drops_a_possessive():
    sentence = "The board rejected Ann Roe's bid to lead the party."
    span, _ = answer_span(sentence, evidence.analyse("Whose bid to lead the party was rejected?"))
    assert sentence[span[0] : span[1]] == "Ann Roe"


def test_an_acronym_in_the_question_meets_the_name_it_abbreviates():
    keys = entities.text_keys("New South Wales firefighters and the Federal Bureau of Investigation met.")
    assert {entities.stem("NSW"), entities.stem("FBI")} <= keys
    assert entities.stem("ABC") not in keys


def test_a_monarch_is_a_king():
    """Reporters write "King X" for the monarch asked about ("head"/"chief"/"leader" likewise)."""
    asked = evidence.analyse("Who is the Swedish monarch?")
    _, span = evidence.holder_fit("Sweden's King Carl Gustaf also spoke.", asked)
    assert span is not None


@pytest.mark.parametrize(
    "sentence,names",
    [
        ("The Bureau of Meteorology's Claire Richards spoke.", ["Bureau of Meteorology", "Claire Richards"]),
        ("Sweden's King Carl Gustaf spoke.", ["Sweden", "King Carl Gustaf"]),  # owner, then the one it owns
        ("They enjoyed New Year's Eve in Perth.", ["New Year's Eve", "Perth"]),  # a named day stays whole
    ],
)
def test_a_possessive_inside_a_name_run_separates_two_names(sentence, names):
    assert [sentence[s:e] for s, e in qtype.candidates(sentence, qtype.ENTITY)] == names


@pytest.mark.parametrize(
    "question,sentence,number",
    [
        # the measure named in "what is the <measure>" sets the unit of the answer
        ("What was the highest temperature recorded?", "The lake rose 35m as temperatures reached 38C.", "38"),
        ("What is life expectancy in Malawi now?", "As many as 10,000 died; life expectancy fell to 40 years.", "40"),
        ("How fast were the winds?", "Winds of 120 km/h hit 300 homes.", "120"),
        ("What was the cost of the bridge?", "The 2 km bridge cost $40 million.", "$40 million"),
    ],
)
def test_a_measure_asked_for_sets_the_unit(question, sentence, number):
    span, fit = answer_span(sentence, evidence.analyse(question))
    assert sentence[span[0] : span[1]] == number and fit == 1.0

