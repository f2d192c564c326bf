"""Answer modes are a registry (qa.answerers): a registered answerer is used by ask and stream with the
one request signature; an unknown mode is one line naming the registered ones."""

import pytest

from qa import answerers
from qa.errors import InvalidQuestionError, QAError
from qa.types import Answer

QUESTION = "Who signed the Security Cooperation Agreement?"


@pytest.fixture
def registered():
    """Register answerers for one test only; the registry is module state shared by every test."""
    names = []

    def add(name, answerer, streams=False):
        answerers.register(name, answerer, streams=streams)
        names.append(name)

    yield add
    for name in names:
        answerers.unregister(name)


def test_extractive_and_llm_are_registered():
    assert answerers.modes()[:2] == ("extractive", "llm")
    assert answerers.streams("llm") and not answerers.streams("extractive") and not answerers.streams("nope")


def test_a_third_answerer_is_used_with_the_retrieved_passages(fake_assistant, registered):
    seen = []

    def first_passage(request: answerers.AnswerRequest) -> Answer:
        seen.append(request)
        top = request.passages[0]
        return Answer(question=request.question, text=top.text, short_answer=None, citations=[],
                      passages=request.passages, abstained=False, mode="first-passage")

    registered("first-passage", first_passage)
    answer = fake_assistant.ask(QUESTION, k=3, mode="first-passage")
    (request,) = seen
    assert answer.mode == "first-passage" and answer.text == request.passages[0].text
    assert [p.rank for p in request.passages] == [1, 2, 3][: len(request.passages)]
    assert request.passages == fake_assistant.retrieve(QUESTION, k=3)  # the same retrieval as retrieve()
    # the request's own extractive answer is the default mode's
    assert request.extractive().text == fake_assistant.ask(QUESTION, k=3).text


def test_a_streaming_answerer_has_its_pieces_forwarded_by_stream(fake_assistant, registered):
    def spelled(request: answerers.AnswerRequest) -> Answer:
        for piece in ("one ", "two ", "three"):
            request.on_token(piece)
        return Answer(question=request.question, text="one two three", short_answer=None, citations=[],
                      passages=request.passages, abstained=False, mode="spelled")

    registered("spelled", spelled, streams=True)
    parts = list(fake_assistant.stream(QUESTION, mode="spelled"))
    assert parts[:3] == ["one ", "two ", "three"] and parts[-1].mode == "spelled" and len(parts) == 4


def test_an_unknown_mode_is_one_line_naming_the_registered_ones(fake_assistant, registered):
    registered("third", lambda request: request.extractive())
    with pytest.raises(InvalidQuestionError) as err:
        fake_assistant.ask(QUESTION, mode="poetry")
    message = str(err.value)
    assert isinstance(err.value, QAError) and "\n" not in message
    assert "poetry" in message and all(name in message for name in ("extractive", "llm", "third"))
    with pytest.raises(InvalidQuestionError, match="poetry"):
        list(fake_assistant.stream(QUESTION, mode="poetry"))


def test_an_answerer_error_reaches_the_caller_of_stream(fake_assistant, registered):
    def failing(request: answerers.AnswerRequest) -> Answer:
        request.on_token("partial ")
        raise QAError("the answerer failed")

    registered("failing", failing, streams=True)
    stream = fake_assistant.stream(QUESTION, mode="failing")
    assert next(stream) == "partial "
    with pytest.raises(QAError, match="the answerer failed"):
        next(stream)
