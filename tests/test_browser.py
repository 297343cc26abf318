"""The web chat in a real headless Chromium (Debian's ``chromium``), driven by Playwright.

Skips, with the reason, when ``/usr/bin/chromium`` is missing; ``.ci/run`` installs it.
Every page records dialogs (``alert``), requests leaving loopback and page errors, and each
test asserts there were none.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from qa.config import Settings
from qa.corpus import Corpus, load_corpus
from qa.models import Answer
from qa.translation import Translator
from qa.web import EXAMPLES, SCROLL_BOX_JS, build_app
from qa.web_render import cite_href, parse_cite_ref
from tests.web_fakes import FakeBackend, running

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
ANSWER_TIMEOUT_MS = 180_000  # the first question may build the index
UI_TIMEOUT_MS = 15_000
PHONE_WIDTH = 390  # CSS pixels, a common phone
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '<img src=x onerror="window.__xss=1;alert(2)">'
FINAL_MESSAGES = "#qa-chat .qa-answer:not(.qa-streaming), #qa-chat .qa-error"
RESET_URL = "**/run/predict"  # events with queue=False, such as the clear buttons' reset


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"Debian chromium is not installed at {CHROMIUM} (apt-get install chromium; .ci/run does it)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@dataclass
class ChatPage:
    """One browser tab on the chat, with everything suspicious it saw."""

    page: Page
    dialogs: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def ask(self, question: str, *, send_button: bool = False) -> Any:
        """Type ``question``, press Enter (or click Send), wait for the final reply; returns its locator."""
        from playwright.sync_api import expect

        done = self.page.locator(FINAL_MESSAGES)
        before = done.count()
        self.page.locator("#qa-question textarea").fill(question)
        if send_button:
            self.page.locator("#qa-send").click()
        else:
            self.page.locator("#qa-question textarea").press("Enter")
        expect(done).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)
        return done.last

    def assert_clean(self) -> None:
        assert self.dialogs == [], f"a dialog opened: {self.dialogs}"
        assert self.external_requests == [], f"the page called out: {self.external_requests}"
        assert self.errors == [], f"page errors: {self.errors}"
        assert self.page.evaluate("window.__xss") is None


@pytest.fixture
def open_chat(browser: Browser) -> Iterator[Any]:
    contexts = []

    def open_page(url: str, *, width: int = 1400) -> ChatPage:
        context = browser.new_context(viewport={"width": width, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        chat = ChatPage(page)

        def on_dialog(dialog: Any) -> None:
            chat.dialogs.append(dialog.message)
            dialog.dismiss()

        def on_request(request: Any) -> None:
            if not re.match(r"^(https?://127\.0\.0\.1[:/]|data:|blob:|about:)", request.url):
                chat.external_requests.append(request.url)

        page.on("dialog", on_dialog)
        page.on("request", on_request)
        page.on("pageerror", lambda exc: chat.errors.append(str(exc)))
        page.goto(url)
        page.locator("#qa-question textarea").wait_for(timeout=UI_TIMEOUT_MS)
        return chat

    yield open_page
    for context in contexts:
        context.close()


def open_first_citation(chat: ChatPage, message: Any) -> tuple[str, int, Any]:
    """Click the first [k] marker of ``message``; returns the cited file, paragraph and the highlight."""
    from playwright.sync_api import expect

    marker = message.locator("a.qa-marker").first
    ref = parse_cite_ref(marker.get_attribute("href") or "")
    assert ref is not None
    file, paragraph = ref.file, ref.paragraph
    marker.click()
    highlighted = chat.page.locator("#qa-viewer .qa-hl")
    expect(highlighted).to_have_attribute("id", f"qa-para-{paragraph}", timeout=UI_TIMEOUT_MS)
    expect(chat.page.locator("#qa-viewer .qa-article-head")).to_contain_text(file)
    return file, paragraph, highlighted


@contextmanager
def fake_chat(settings: Settings, stream_fn: Any = None) -> Iterator[tuple[str, FakeBackend]]:
    """The chat app on a deterministic fake backend; yields the app's URL and the fake.

    ``stream_fn(fake)``, when given, makes the chat's stream from the fake.
    """
    corpus = load_corpus(settings.sources_dir)
    fake = FakeBackend(corpus)
    stream = stream_fn(fake) if stream_fn else fake.stream
    with running(
        build_app(settings, stream_fn=stream, answer_fn=fake.ask, corpus_fn=lambda: corpus), settings
    ) as url:
        yield url, fake


@contextmanager
def translating_chat(settings: Settings, model: Any) -> Iterator[tuple[str, Corpus]]:
    """The chat app on the fake backend (it answers in English) with a translator on ``model``;
    yields the app's URL and the corpus."""
    translator = Translator(settings.model_copy(update={"llm": "local"}), model=model)
    corpus = load_corpus(settings.sources_dir)
    fake = FakeBackend(corpus)
    app = build_app(
        settings, stream_fn=fake.stream, answer_fn=fake.ask, corpus_fn=lambda: corpus, translator=translator
    )
    with running(app, settings) as url:
        yield url, corpus


@contextmanager
def held_requests(page: Page, url: str) -> Iterator[list[Any]]:
    """Hold back the requests to ``url`` made inside the block (yields them); at its end, send on
    those still in the list (take one out to answer it otherwise, e.g. ``abort()``)."""
    held: list[Any] = []

    def hold(route: Any) -> None:
        held.append(route)

    page.route(url, hold)
    try:
        yield held
    finally:
        for route in held:
            route.continue_()
        page.unroute(url, hold)


def in_view(locator: Any) -> bool:
    """The element's top edge is visible both in its scrolling article box and in the window."""
    return bool(
        locator.evaluate(
            """el => {
                const r = el.getBoundingClientRect();
                const box = el.closest('.qa-article').getBoundingClientRect();
                return r.top >= box.top - 1 && r.top < box.bottom && r.top >= 0 && r.top < window.innerHeight;
            }"""
        )
    )


def test_cited_answer_and_citation_viewer(
    open_chat: Any, extractive_settings: Settings, tmp_path: Path
) -> None:
    """Real extractive stack: ask, get a cited answer, click the citation, see the paragraph."""
    with running(build_app(extractive_settings), extractive_settings) as url:
        chat = open_chat(url)
        message = chat.ask(EXAMPLES[0])
        assert "71" in message.locator(".qa-answer-text").inner_text()
        assert message.locator(".qa-sources .qa-source").count() >= 1
        assert message.locator("mark.qa-support").count() >= 1  # the supporting sentence is highlighted

        file, paragraph, highlighted = open_first_citation(chat, message)
        corpus = load_corpus(extractive_settings.sources_dir)
        assert highlighted.inner_text().endswith(corpus.paragraph(file, paragraph).text)
        # The viewer marks the same supporting sentence(s) as the chat's Sources entry.
        supporting = (
            message.locator(".qa-source").first.locator(".qa-quote mark.qa-support").all_inner_texts()
        )
        assert highlighted.locator("mark.qa-support").all_inner_texts() == supporting
        chat.page.wait_for_function(
            "() => { const el = document.querySelector('#qa-viewer .qa-hl');"
            " const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight; }",
            timeout=UI_TIMEOUT_MS,
        )
        assert in_view(highlighted)
        # Earlier paragraphs are scrolled away: the viewer really scrolled to the citation.
        assert paragraph > 1 and not in_view(chat.page.locator("#qa-viewer #qa-para-1"))
        # The English question cites a paragraph in another language, but with no language model
        # (extractive) there is nothing to translate with, so no translation is offered.
        assert corpus.paragraph(file, paragraph).lang != "en"
        assert chat.page.locator("#qa-viewer a.qa-translate").count() == 0

        chat.page.locator("#qa-details").get_by_text("Retrieved passages, backend and timings").click()
        details = chat.page.locator("#qa-details .qa-details")
        assert "extractive" in details.inner_text()
        assert details.locator(".qa-passages tbody tr").count() >= 1

        shot = tmp_path / "chat-cited-answer.png"
        chat.page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        chat.assert_clean()


def test_on_a_phone_nothing_covers_the_question(open_chat: Any, settings: Settings) -> None:
    """At phone width (390 px) a question scrolled to the top of the chat is not drawn over: the
    chat's "Chat" badge once sat on top of its first line."""
    with fake_chat(settings) as (url, _fake):
        chat = open_chat(url, width=PHONE_WIDTH)
        for question in EXAMPLES[:3]:  # enough to make the chat scroll
            chat.ask(question)
        first = chat.page.locator('#qa-chat [data-testid="user"]').first
        covered = first.evaluate(
            """el => {
                el.scrollIntoView({block: 'start'});
                const range = document.createRange();
                range.selectNodeContents(el);
                const lines = [...range.getClientRects()];  // where the question's text is drawn
                const paints = o => o.tagName.toLowerCase() === 'svg'
                    || [...o.childNodes].some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
                const meets = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
                return [...document.querySelectorAll('#qa-chat *')]
                    .filter(o => !el.contains(o) && !o.contains(el) && paints(o))
                    .filter(o => o.checkVisibility({opacityProperty: true, visibilityProperty: true}))
                    .filter(o => lines.some(line => meets(line, o.getBoundingClientRect())))
                    .map(o => o.outerHTML.slice(0, 120));
            }"""
        )
        assert covered == []
        chat.assert_clean()


def test_on_a_phone_a_cited_paragraph_opens_at_its_first_line(open_chat: Any, settings: Settings) -> None:
    """A cited paragraph taller than the viewer (a long one, on a 390 px screen) opens at its first
    line, below the viewer's sticky file header: centring it had scrolled its start out of sight."""
    with fake_chat(settings) as (url, _fake):
        chat = open_chat(url, width=PHONE_WIDTH)
        message = chat.ask(EXAMPLES[0])
        _file, _paragraph, highlighted = open_first_citation(chat, message)
        sizes = highlighted.evaluate(
            "el => [el.getBoundingClientRect().height, el.closest('.qa-article').clientHeight]"
        )
        assert sizes[0] > sizes[1], f"the check needs a paragraph taller than the viewer: {sizes}"
        chat.page.wait_for_function(
            """() => {
                const el = document.querySelector('#qa-viewer .qa-hl');
                const box = el.closest('.qa-article').getBoundingClientRect();
                const head = el.closest('.qa-article').querySelector('.qa-article-head').getBoundingClientRect();
                const top = el.getBoundingClientRect().top;
                return top >= head.bottom - 1 && top < box.bottom && top >= 0 && top < window.innerHeight;
            }""",
            timeout=UI_TIMEOUT_MS,
        )
        chat.assert_clean()


# Where an element is drawn and where its scrolling box shows things (the window when nothing
# around it scrolls): [top, bottom, box top, box bottom].
_PLACEMENT_JS = f"""el => {{
    const box = ({SCROLL_BOX_JS})(el);
    const r = el.getBoundingClientRect();
    const b = box ? box.getBoundingClientRect() : {{top: 0, bottom: window.innerHeight}};
    return [r.top, r.bottom, b.top, b.bottom];
}}"""


def assert_stays_in_view(chat: ChatPage, locator: Any, *, whole: bool) -> None:
    """``locator``'s first line (``whole``: all of it) is in its chat box's view, and still is a
    moment later (the chat has stopped scrolling)."""

    def shown() -> tuple[bool, list[float]]:
        top, bottom, box_top, box_bottom = placement = locator.evaluate(_PLACEMENT_JS)
        return box_top - 1 <= top and (bottom if whole else top + 10) <= box_bottom + 1, placement

    deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
    while not shown()[0] and time.monotonic() < deadline:
        chat.page.wait_for_timeout(100)
    chat.page.wait_for_timeout(500)
    ok, placement = shown()
    assert ok, f"out of the chat's view: {placement}"


def test_a_long_cited_paragraph_leaves_the_answer_in_view(open_chat: Any, settings: Settings) -> None:
    """Under Sources, a long cited paragraph in full once pushed the answer above the top of the
    chat (a reader saw the end of a paragraph, not the answer); the entry now quotes the
    supporting sentence and folds the whole paragraph behind "Whole paragraph"."""
    from playwright.sync_api import expect

    answer_sentence = "The convention has 9 chapters and 71 articles."
    rest = " ".join(
        f"Sentence {i} of this paragraph is about the weather in Hanoi in autumn." for i in range(40)
    )
    with fake_chat(settings) as (url, fake):
        fake.paragraph_override = f"{answer_sentence} {rest}"
        chat = open_chat(url)
        message = chat.ask(EXAMPLES[0])
        answer = message.locator(".qa-answer-text")
        expect(answer).to_contain_text(answer_sentence)
        assert_stays_in_view(chat, answer, whole=True)

        source = message.locator(".qa-source").first
        assert source.locator(".qa-quote mark.qa-support").inner_text() == answer_sentence
        whole = source.locator("details.qa-source-more .qa-source-text")
        assert not whole.is_visible()
        source.locator("details.qa-source-more summary").click()
        expect(whole).to_be_visible(timeout=UI_TIMEOUT_MS)
        assert whole.inner_text() == f"{answer_sentence} {rest}"
        chat.assert_clean()


def test_on_a_phone_a_reply_taller_than_the_chat_is_shown_from_its_start(
    open_chat: Any, settings: Settings
) -> None:
    """The chat follows a reply while it is written; a finished reply taller than the chat is
    then shown from its first line, not left at its end (Gradio's autoscroll did that)."""
    long_answer = " ".join(["The convention has 9 chapters and 71 articles."] * 30) + " [1]"
    with fake_chat(settings) as (url, fake):
        chat = open_chat(url, width=PHONE_WIDTH)
        chat.ask(EXAMPLES[1])  # something above, so the chat can scroll back too far as well
        fake.text_override = long_answer
        message = chat.ask(EXAMPLES[0])
        height, room = message.evaluate(
            "el => [el.getBoundingClientRect().height, document.querySelector('#qa-chat').getBoundingClientRect().height]"
        )
        assert height > room, f"the check needs a reply taller than the chat: {height} <= {room}"
        assert_stays_in_view(chat, message.locator(".qa-answer-text"), whole=False)
        # Its first line is at the top: the question before it is scrolled away, not shown instead.
        question_bottom, box_top = chat.page.locator("#qa-chat .qa-question").last.evaluate(
            "el => [el.getBoundingClientRect().bottom, document.querySelector('#qa-chat').getBoundingClientRect().top]"
        )
        assert question_bottom < box_top + 40
        chat.assert_clean()


def test_on_a_phone_the_retrieved_passages_fit_the_screen(open_chat: Any, settings: Settings) -> None:
    """The details panel's passages table at 390 px: every cell within the panel, none cut off
    at the right edge (the text column and the scores were, before the narrow-screen layout)."""
    with fake_chat(settings) as (url, _fake):
        chat = open_chat(url, width=PHONE_WIDTH)
        chat.ask(EXAMPLES[0])
        chat.page.locator("#qa-details").get_by_text("Retrieved passages, backend and timings").click()
        table = chat.page.locator("#qa-details .qa-passages")
        table.wait_for(timeout=UI_TIMEOUT_MS)
        assert table.locator("tbody tr").count() >= 1
        outside = table.evaluate(
            """t => {
                const panel = t.closest('.qa-details').getBoundingClientRect();
                const right = Math.min(panel.right, document.documentElement.clientWidth);
                return [...t.querySelectorAll('td')]
                    .filter(td => td.getBoundingClientRect().right > right + 1)
                    .map(td => td.textContent.slice(0, 40));
            }"""
        )
        assert outside == []
        chat.assert_clean()


def test_script_in_sources_and_answers_is_shown_as_text(
    open_chat: Any, tmp_path: Path, extractive_settings: Settings
) -> None:
    """A source with script/img markup, quoted by the real extractive backend: text, never executed."""
    from playwright.sync_api import expect

    sources = tmp_path / "sources"
    sources.mkdir()
    filler = [f"Paragraph {i} describes the weather in Hanoi during the autumn season." for i in range(1, 15)]
    evil = [
        f"The signing ceremony in Hanoi was attended by 72 countries {XSS_SCRIPT} according to the organisers.",
        *filler,
        f"The secret password of the Hanoi Convention is {XSS_IMG} and nobody knows it.",
    ]
    (sources / "evil.txt").write_text("\n".join(evil) + "\n", encoding="utf-8")
    settings = extractive_settings.model_copy(
        update={"sources_dir": sources, "index_dir": tmp_path / "index"}
    )

    with running(build_app(settings), settings) as url:
        chat = open_chat(url)
        message = chat.ask("What is the secret password of the Hanoi Convention?")
        assert XSS_IMG in message.inner_text()  # in the answer and in its source, as text
        _, _, highlighted = open_first_citation(chat, message)
        assert XSS_IMG in highlighted.inner_text()

        chat.page.locator("#qa-clear").click()  # a new conversation: no follow-up condensing
        # Wait for the clear to land: ask() counts the replies on screen before it sends.
        expect(chat.page.locator(FINAL_MESSAGES)).to_have_count(0, timeout=UI_TIMEOUT_MS)
        message = chat.ask("How many countries attended the signing ceremony in Hanoi?")
        assert XSS_SCRIPT in message.inner_text()
        open_first_citation(chat, message)
        assert XSS_SCRIPT in chat.page.locator("#qa-viewer").inner_text()

        for region in ("#qa-chat", "#qa-viewer"):
            assert chat.page.locator(f"{region} script").count() == 0
            assert chat.page.locator(f"{region} img[src='x']").count() == 0
        chat.page.wait_for_timeout(500)  # give a payload the chance to fire
        chat.assert_clean()


def test_follow_up_then_clear_conversation(open_chat: Any, settings: Settings) -> None:
    """The browser session keeps the history for follow-ups; both clear buttons forget it."""
    with fake_chat(settings) as (url, fake):
        chat = open_chat(url)
        from playwright.sync_api import expect

        # Clicking an example question puts it in the question box.
        chat.page.get_by_text(EXAMPLES[3][:20]).first.click()
        expect(chat.page.locator("#qa-question textarea")).to_have_value(EXAMPLES[3], timeout=UI_TIMEOUT_MS)
        chat.ask(EXAMPLES[0])
        chat.ask("And who chaired the ceremony?", send_button=True)
        assert [q for q, _ in fake.calls[1][1]] == [EXAMPLES[0]]

        # Each clear shows at once, but the history is forgotten only when the server's reset
        # returns. Hold that reply back: until it arrives the question box and Send are locked,
        # so no question can carry the old history; afterwards a question starts afresh.
        box, send = chat.page.locator("#qa-question textarea"), chat.page.locator("#qa-send")
        clear_buttons = [
            chat.page.locator("#qa-clear"),
            chat.page.locator("#qa-chat").get_by_role("button", name=re.compile("clear", re.I)),
        ]
        for n, clear_button in enumerate(clear_buttons):
            if n:
                chat.ask(f"Question number {n} about the convention?")
            with held_requests(chat.page, RESET_URL) as held:
                clear_button.click()
                expect(box).to_be_disabled(timeout=UI_TIMEOUT_MS)
                expect(send).to_be_disabled(timeout=UI_TIMEOUT_MS)
                assert len(held) == 1, "the reset request was not sent"
            expect(chat.page.locator(FINAL_MESSAGES)).to_have_count(0, timeout=UI_TIMEOUT_MS)
            expect(box).to_be_enabled(timeout=UI_TIMEOUT_MS)
            chat.ask("A fresh question about the convention?")
            assert fake.calls[-1][1] == []
        chat.assert_clean()


def test_clear_unlocks_the_question_box_when_the_reset_fails(open_chat: Any, settings: Settings) -> None:
    """A reset that never reaches the server must not leave the question box locked."""
    with fake_chat(settings) as (url, _):
        chat = open_chat(url)
        from playwright.sync_api import expect

        chat.ask(EXAMPLES[0])
        box = chat.page.locator("#qa-question textarea")
        with held_requests(chat.page, RESET_URL) as held:
            chat.page.locator("#qa-clear").click()
            expect(box).to_be_disabled(timeout=UI_TIMEOUT_MS)
            held.pop().abort("connectionreset")
        expect(box).to_be_enabled(timeout=UI_TIMEOUT_MS)
        chat.ask("Still answering after the failed reset?")
        chat.assert_clean()


def test_stop_button_ends_a_long_answer(open_chat: Any, settings: Settings) -> None:
    """Stop ends the answer being written: the model's stream is closed and the question comes back."""
    closed = threading.Event()

    def endless(fake: FakeBackend) -> Any:
        """Answers a "fresh" question as the fake does; writes anything else until stopped."""

        def stream(question: str, history: list[tuple[str, str]]) -> Iterator[str | Answer]:
            if "fresh" in question:
                yield from fake.stream(question, history)
                return
            try:
                for _ in range(6000):  # five minutes: far longer than the test waits
                    time.sleep(0.05)
                    yield "more "
            finally:
                closed.set()

        return stream

    with fake_chat(settings, endless) as (url, fake):
        chat = open_chat(url)
        from playwright.sync_api import expect

        box = chat.page.locator("#qa-question textarea")
        box.fill("Tell me everything about the convention")
        box.press("Enter")
        expect(chat.page.locator("#qa-chat .qa-streaming")).to_contain_text(
            "more more", timeout=UI_TIMEOUT_MS
        )
        chat.page.locator("#qa-stop").click()
        expect(chat.page.locator("#qa-chat .qa-stopped")).to_have_count(1, timeout=UI_TIMEOUT_MS)
        expect(chat.page.locator("#qa-chat .qa-streaming")).to_have_count(0)
        expect(box).to_have_value("Tell me everything about the convention")
        assert closed.wait(UI_TIMEOUT_MS / 1000), "the answer's stream was not closed"
        # The chat goes on; the stopped exchange is not part of the history.
        chat.ask("A fresh question about the convention?")
        assert fake.calls[-1] == ("A fresh question about the convention?", [])
        chat.assert_clean()


def test_a_cited_paragraph_in_another_language_can_be_translated(open_chat: Any, settings: Settings) -> None:
    """The viewer offers a machine translation into the question's language; it streams in
    below the paragraph, labelled, escaped, with what its checks found; the source stays."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from playwright.sync_api import expect

    reply = f"The ceremony was chaired by the president {XSS_IMG} on 99 October."
    model = GenericFakeChatModel(messages=iter([reply]))
    with translating_chat(settings, model) as (url, corpus):
        chat = open_chat(url)
        message = chat.ask("Who chaired the signing ceremony?")  # the fake answers in English
        file, paragraph, highlighted = open_first_citation(chat, message)
        original = highlighted.inner_text()
        assert corpus.paragraph(file, paragraph).lang != "en"
        link = chat.page.locator("#qa-viewer a.qa-translate")
        expect(link).to_have_text(f"Translate ¶{paragraph} into English", timeout=UI_TIMEOUT_MS)
        link.click()
        translation = chat.page.locator("#qa-viewer .qa-translation-text")
        expect(translation).to_have_text(reply, timeout=UI_TIMEOUT_MS)
        box = chat.page.locator("#qa-viewer .qa-translation")
        expect(box).to_contain_text("Machine translation into English")
        expect(box).to_contain_text("the paragraph above is the source")
        expect(box).to_contain_text("Check this one: numbers differ from the original")
        assert chat.page.locator("#qa-viewer a.qa-translate").count() == 0
        # The cited paragraph is still there, still highlighted, unchanged.
        expect(chat.page.locator("#qa-viewer .qa-hl")).to_have_attribute("id", f"qa-para-{paragraph}")
        assert chat.page.locator("#qa-viewer .qa-hl").inner_text() == original
        assert chat.page.locator("#qa-viewer img[src='x']").count() == 0
        chat.page.wait_for_timeout(500)
        chat.assert_clean()


class _SlowFake:
    """A chat model that writes one word every 0.2 s and records whether it was stopped."""

    def __init__(self, words: int = 60) -> None:
        from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

        record = self
        self.stopped = threading.Event()

        class Slow(GenericFakeChatModel):
            def _stream(self, *args: Any, **kwargs: Any) -> Any:
                try:
                    for chunk in super()._stream(*args, **kwargs):
                        time.sleep(0.2)
                        yield chunk
                except GeneratorExit:
                    record.stopped.set()
                    raise

        self.model = Slow(messages=iter([" ".join(["word"] * words)]))


def test_opening_another_citation_stops_a_translation(open_chat: Any, settings: Settings) -> None:
    """A translation still being written does not come back over the article opened after it."""
    from playwright.sync_api import expect

    slow = _SlowFake()
    with translating_chat(settings, slow.model) as (url, corpus):
        chat = open_chat(url)
        message = chat.ask("Who chaired the signing ceremony?")
        file, paragraph, _ = open_first_citation(chat, message)
        chat.page.locator("#qa-viewer a.qa-translate").click()
        expect(chat.page.locator("#qa-viewer .qa-translation.qa-streaming")).to_contain_text(
            "word", timeout=UI_TIMEOUT_MS
        )
        # Open another paragraph of the same article while the translation is being written.
        other = next(p.number for p in corpus.document(file).paragraphs if p.number != paragraph)
        chat.page.evaluate(
            "(ref) => { const a = document.createElement('a'); a.className = 'qa-cite'; a.href = ref;"
            " document.querySelector('#qa-chat').appendChild(a); a.click(); a.remove(); }",
            cite_href(file, other, lang="en"),
        )
        expect(chat.page.locator("#qa-viewer .qa-hl")).to_have_attribute(
            "id", f"qa-para-{other}", timeout=UI_TIMEOUT_MS
        )
        assert slow.stopped.wait(timeout=10), "the translation went on after another citation was opened"
        chat.page.wait_for_timeout(1000)  # a translation left running would have rewritten the viewer
        assert chat.page.locator("#qa-viewer .qa-hl").get_attribute("id") == f"qa-para-{other}"
        assert chat.page.locator("#qa-viewer .qa-translation.qa-streaming").count() == 0
        chat.assert_clean()
