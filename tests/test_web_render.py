"""HTML/Markdown rendering of answers, articles and the details panel: content, links, escaping."""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa.corpus import Document, load_corpus
from qa.models import Answer, Citation, Passage
from qa.translation import Translation
from qa.web_render import (
    TRANSLATE_PREFIX,
    WAITING,
    CiteRef,
    answer_markdown,
    cite_href,
    highlighted_html,
    parse_cite_ref,
    render_answer,
    render_article,
    render_details,
    render_error,
    render_partial,
    render_user,
    source_quote_html,
    valid_spans,
)

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
PARAGRAPH = "Die Konvention hat 9 Kapitel und 71 Artikel. Sie wurde in Hanoi unterzeichnet."


def make_answer(text: str = "The convention has 9 chapters and 71 articles [1].", **kw: object) -> Answer:
    fields: dict[str, object] = {
        "question": "How many chapters?",
        "text": text,
        "citations": [Citation("000_a.txt", 6, PARAGRAPH)],
        "found": True,
        "lang": "en",
        "backend": "extractive",
        "passages": [
            Passage("000_a.txt", 6, PARAGRAPH, 0.91234, "de"),
            Passage("002_b.txt", 2, "Autre paragraphe.", 0.5, "fr"),
        ],
        "timings": {"retrieve": 0.0123, "generate": 0.5},
    }
    fields.update(kw)
    return Answer(**fields)


OUR_TAGS = {
    "div",
    "span",
    "p",
    "a",
    "mark",
    "strong",
    "br",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "h4",
    "details",
    "summary",
}
OUR_ATTRIBUTES = {"class", "href", "id", "title", "lang"}


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)
        self.hrefs += [value or "" for name, value in attrs if name == "href"]


def no_active_html(html: str) -> None:
    """The markup holds our own tags and attributes only, and links only to citation fragments."""
    parser = _TagCollector()
    parser.feed(html)
    assert parser.tags <= OUR_TAGS, parser.tags - OUR_TAGS
    assert parser.attributes <= OUR_ATTRIBUTES, parser.attributes - OUR_ATTRIBUTES
    assert all(href.startswith(("#qa-cite/", "#qa-translate/")) for href in parser.hrefs), parser.hrefs


def test_a_partial_answer_says_it_is_under_way_until_its_first_words() -> None:
    waiting = render_partial("")
    assert "qa-streaming" in waiting and "qa-pending" in waiting and WAITING in waiting
    first_words = render_partial("Die Konvention")
    assert "Die Konvention" in first_words and WAITING not in first_words and "qa-pending" not in first_words


def test_answer_has_linked_marker_and_sources_with_highlighted_support() -> None:
    html = render_answer(make_answer())
    assert html.count('href="#qa-cite/000_a.txt/6/') == 2  # the [1] marker and the Sources entry
    assert ">[1]</a>" in html
    assert "Sources" in html and "000_a.txt ¶6" in html
    # The sentence with the answer's numbers is highlighted, the other one is not.
    assert '<mark class="qa-support">Die Konvention hat 9 Kapitel und 71 Artikel.</mark>' in html
    quote = html.split('<div class="qa-quote">')[1].split("</div>")[0]
    assert "Sie wurde" not in quote and quote.endswith(" …")  # the rest is left out of the quote...
    folded = html.split('<details class="qa-source-more">')[1]
    assert "</mark> Sie wurde in Hanoi unterzeichnet." in folded  # ...and folded, unmarked


def test_a_source_is_quoted_by_its_supporting_sentence_with_the_whole_paragraph_folded() -> None:
    """Under Sources, the chat quotes what supports the answer and folds the rest away, so a
    long cited paragraph does not push the answer out of view (the viewer shows it in context)."""
    text = "First sentence here. The convention has 9 chapters. Last sentence here."
    middle = (text.index("The"), text.index(" Last"))
    html = source_quote_html(text, [middle])
    quote, folded = html.split('<details class="qa-source-more">')
    assert (
        quote
        == '<div class="qa-quote">… <mark class="qa-support">The convention has 9 chapters.</mark> …</div>'
    )
    assert folded.startswith("<summary>Whole paragraph</summary>")
    assert (
        'First sentence here. <mark class="qa-support">The convention has 9 chapters.</mark> Last' in folded
    )
    # Two supporting sentences apart: one ellipsis between them; side by side: a space.
    apart = source_quote_html(text, [(0, text.index(" The")), (text.index("Last"), len(text))])
    assert "First sentence here.</mark> … <mark" in apart and not apart.startswith('<div class="qa-quote">…')
    together = source_quote_html(text, [(0, text.index(" The")), (text.index("The"), text.index(" Last"))])
    assert "First sentence here.</mark> <mark" in together and together.count("…") == 1


def test_a_source_wholly_quoted_has_nothing_to_unfold() -> None:
    text = "The convention has 9 chapters and 71 articles."
    html = source_quote_html(text, [(0, len(text))])
    assert html == f'<div class="qa-quote"><mark class="qa-support">{text}</mark></div>'
    assert source_quote_html("Short.", []) == '<div class="qa-quote">Short.</div>'  # unmarked: no support


def test_a_source_without_a_supporting_sentence_is_quoted_from_its_start_unmarked() -> None:
    text = ("Word " * 100).strip()  # 499 characters
    html = source_quote_html(text, [])
    quote = html.split("</div>")[0]
    assert "<mark" not in html and quote.endswith(" …")
    shown = quote.removeprefix('<div class="qa-quote">').removesuffix(" …")
    assert len(shown) <= 200 and text.startswith(shown) and shown.endswith("Word")  # cut between words
    assert f'<div class="qa-source-text">{text}</div>' in html  # the whole of it, folded
    # Spans that do not fit the text (a stale or forged support) count as none.
    assert source_quote_html(text, [(450, 900)]) == html


@pytest.mark.parametrize("evil", [SCRIPT, IMG])
def test_source_quotes_are_escaped(evil: str) -> None:
    text = f"Before {evil}. The answer {evil} is here. After {evil}."
    html = source_quote_html(text, [(text.index("The"), text.index(" After"))])
    assert evil not in html and escape(evil) in html
    no_active_html(html)


def test_answer_without_markers_gets_them_from_citation_order() -> None:
    html = render_answer(make_answer("Nine chapters and 71 articles."))
    assert re.search(r"71 articles\. <a class=\"qa-cite qa-marker\"[^>]*>\[1\]</a>", html)


def test_fallback_is_a_labelled_notice_and_no_answer_has_no_sources() -> None:
    assert "Notice:" in render_answer(make_answer(fallback="extractive"))
    assert "extractive fallback" in render_answer(make_answer(fallback="extractive"))
    assert "Notice:" not in render_answer(make_answer())
    html = render_answer(make_answer("The articles do not say.", citations=[], found=False))
    assert "Sources" not in html and "qa-cite" not in html


def test_words_left_in_a_sources_language_are_a_notice_with_the_answer() -> None:
    answer = make_answer(foreign_words={"nl": ["Buitenlandse", "Zaken"], "sv": ["stolthet"]})
    html = render_answer(answer)
    assert "qa-foreign-words" in html and "Dutch: Buitenlandse, Zaken; Swedish: stolthet" in html
    assert "Dutch: Buitenlandse, Zaken; Swedish: stolthet" in answer_markdown(answer)
    assert "qa-foreign-words" not in render_answer(make_answer())
    assert "Notice:" not in answer_markdown(make_answer())
    no_active_html(render_answer(make_answer(foreign_words={"nl": [SCRIPT]})))


@pytest.mark.parametrize("evil", [SCRIPT, IMG, '"><svg onload=alert(1)>'])
def test_model_and_article_text_is_escaped(evil: str) -> None:
    answer = make_answer(
        f"Answer {evil} [1]",
        citations=[Citation(f"{evil}.txt", 1, f"Text {evil} 9 Kapitel.")],
        passages=[Passage(f"{evil}.txt", 1, f"Text {evil}", 0.3, evil)],
        fallback=evil,
        standalone_question=evil,
    )
    for html in (
        render_answer(answer),
        render_details(answer),
        render_partial(evil),
        render_error(evil),
        render_user(evil),
        highlighted_html(evil, [(0, 3)]),
    ):
        no_active_html(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in render_answer(make_answer(f"A {SCRIPT} [1]"))


def test_article_is_escaped_numbered_and_highlights_the_cited_paragraph(tmp_path: Path) -> None:
    (tmp_path / "evil.txt").write_text(
        f"Title of the article here\n\nBody {SCRIPT} and {IMG} text here\nKommentar (0)\n"
    )
    document = load_corpus(tmp_path).document("evil.txt")
    html = render_article(document, 2)
    no_active_html(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert re.search(r'<p id="qa-para-2" class="qa-para qa-hl">.*<mark class="qa-support">Body', html)
    assert 'id="qa-para-1" class="qa-para"' in html
    assert 'id="qa-para-3" class="qa-para qa-boilerplate"' in html


def test_details_lists_passages_scores_backend_and_timings() -> None:
    html = render_details(
        make_answer(standalone_question="How many chapters does the Hanoi Convention have?")
    )
    assert "000_a.txt ¶6" in html and "002_b.txt ¶2" in html
    assert "0.912" in html and "0.500" in html
    assert "extractive" in html
    assert "12 ms" in html and "500 ms" in html
    assert "How many chapters does the Hanoi Convention have?" in html
    # Retrieved passages open in the viewer like citations, with the question's language.
    assert 'href="#qa-cite/002_b.txt/2/en"' in html


def test_details_say_why_there_is_no_answer() -> None:
    abstained = make_answer(
        "The articles do not say.",
        citations=[],
        found=False,
        abstention_reason="name <Emmanuel> Macron is in no article",
    )
    html = render_details(abstained)
    assert "why no answer" in html and "name &lt;Emmanuel&gt; Macron is in no article" in html
    assert "why no answer" not in render_details(make_answer())


def test_api_markdown_uses_file_paragraph_citations() -> None:
    md = answer_markdown(make_answer("It has 9 chapters [1]. Signed in Hanoi."))
    assert md.startswith("It has 9 chapters [000_a.txt ¶6]. Signed in Hanoi.")
    assert f"- [000_a.txt ¶6] {PARAGRAPH}" in md
    assert "[1]" not in md
    assert "Notice:" in answer_markdown(make_answer(fallback="extractive"))


SPANS = st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 5000)), max_size=3).map(tuple)


@given(st.text(min_size=1, max_size=40), st.integers(1, 99999), SPANS)
def test_cite_links_round_trip(file: str, paragraph: int, spans: tuple[tuple[int, int], ...]) -> None:
    assert parse_cite_ref(cite_href(file, paragraph, spans)) == CiteRef(file, paragraph, spans)
    for lang in ("en", "sv"):
        assert parse_cite_ref(cite_href(file, paragraph, spans, lang)) == CiteRef(
            file, paragraph, spans, lang
        )
        translate = cite_href(file, paragraph, lang=lang, prefix=TRANSLATE_PREFIX)
        assert parse_cite_ref(translate, TRANSLATE_PREFIX) == CiteRef(file, paragraph, (), lang)
        assert parse_cite_ref(translate) is None  # a translation link is not a citation link


@pytest.mark.parametrize(
    "ref",
    [
        "",
        "a.txt/3",
        "#qa-cite/",
        "#qa-cite/a.txt",
        "#qa-cite/a.txt/x",
        "#qa-cite//3",
        "#qa-cite/a/3/1-",
        "#qa-cite/a/3/4/5",
        "#qa-cite/a/3/en/1-2",
        "#qa-cite/a/3/1-2/EN",
        "#qa-cite/a/3/1-2/en/x",
        "#qa-cite/a/3/english",
    ],
)
def test_malformed_cite_links_are_rejected(ref: str) -> None:
    assert parse_cite_ref(ref) is None


def test_answer_links_carry_the_supporting_spans_to_the_viewer(tmp_path: Path) -> None:
    html = render_answer(make_answer())
    hrefs = set(re.findall(r'href="([^"]+)"', html))
    # Marker and Sources entry: the first sentence, and the question's language.
    assert hrefs == {"#qa-cite/000_a.txt/6/0-44/en"}
    (tmp_path / "000_a.txt").write_text("Title line of the article\n" * 5 + PARAGRAPH + "\n")
    ref = parse_cite_ref(hrefs.pop())
    assert ref is not None
    article = render_article(load_corpus(tmp_path).document(ref.file), ref.paragraph, ref.spans)
    assert '<mark class="qa-support">Die Konvention hat 9 Kapitel und 71 Artikel.</mark> Sie wurde' in article


def test_article_ignores_spans_outside_the_paragraph(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("First paragraph of text\nSecond paragraph of text\n")
    document = load_corpus(tmp_path).document("a.txt")
    assert valid_spans("abcdef", ((4, 9), (0, 2), (1, 3), (3, 3))) == [(0, 2)]
    html = render_article(document, 2, ((0, 999),))
    assert '<mark class="qa-support">Second paragraph of text</mark>' in html


def _two_language_article(tmp_path: Path) -> Document:
    (tmp_path / "sv.txt").write_text(
        "Hanoikonventionen undertecknades i Hanoi\nKonventionen har 9 kapitel och 71 artiklar.\n"
    )
    return load_corpus(tmp_path).document("sv.txt")


def test_the_viewer_offers_a_translation_into_the_question_language(tmp_path: Path) -> None:
    document = _two_language_article(tmp_path)
    html = render_article(document, 2, translate_to="en")
    no_active_html(html)
    link = re.search(r'<a class="qa-translate" href="([^"]+)">Translate ¶2 into English</a>', html)
    assert link is not None
    assert parse_cite_ref(link.group(1), TRANSLATE_PREFIX) == CiteRef("sv.txt", 2, (), "en")
    # The link sits right below the cited paragraph, not elsewhere.
    assert html.index('id="qa-para-2"') < html.index("qa-translate")
    # No offer for a paragraph already in that language, nor without a language (extractive, old links).
    assert "qa-translate" not in render_article(document, 2, translate_to="sv")
    assert "qa-translate" not in render_article(document, 2)
    assert "qa-translate" not in render_article(document, 2, translate_to="xx")


def test_the_viewer_shows_a_translation_labelled_escaped_and_with_its_problems(tmp_path: Path) -> None:
    document = _two_language_article(tmp_path)
    partial = render_article(document, 2, translate_to="en", translation=f"The convention {SCRIPT}")
    no_active_html(partial)
    assert "Translating into English…" in partial and "&lt;script&gt;" in partial
    assert "qa-translate" not in partial  # no second request while one is being written
    done = Translation(
        original="Konventionen har 9 kapitel och 71 artiklar.",
        text=f"The convention has 9 chapters and 17 articles. {IMG}",
        lang="en",
        backend="local",
        problems=("numbers differ from the original: 17, 71",),
    )
    html = render_article(document, 2, translate_to="en", translation=done)
    no_active_html(html)
    assert "Machine translation into English (local model)" in html
    assert "the paragraph above is the source" in html
    assert "Check this one: numbers differ from the original: 17, 71." in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    failed = render_article(document, 2, translate_to="en", translation_error="The model <b>is</b> down.")
    no_active_html(failed)
    assert "The model &lt;b&gt;is&lt;/b&gt; down." in failed and "qa-translate" in failed  # try again
