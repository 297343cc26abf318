"""HTML and Markdown for the web chat: answers with sources, the article viewer, the passages panel.

Every piece of text from an article, the model or the user goes through :func:`html.escape`
before it is placed in markup, so HTML or script inside them is shown as text. Citation
links are plain ``<a class="qa-cite" href="#qa-cite/<file>/<n>">`` elements: Gradio's
sanitizer keeps ``class`` and fragment ``href``, and the page's click handler (see
:mod:`qa.web`) turns a click into "open this paragraph in the article viewer".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from qa.corpus import Document
from qa.models import Answer, Citation
from qa.prompts import has_language_name, language_name
from qa.web_support import claim_for_marker, normalize_markers, numbered_markers, support_spans

if TYPE_CHECKING:
    from qa.translation import Translation

CITE_PREFIX = "#qa-cite/"
TRANSLATE_PREFIX = "#qa-translate/"

FALLBACK_NOTICES = {
    "extractive": (
        "The language model did not answer, so this reply quotes the best-matching sentences "
        "from the articles instead (extractive fallback)."
    ),
}

VIEWER_PLACEHOLDER = (
    '<div class="qa-article qa-article-empty">Click a citation ([1], or a file ¶ number under '
    "Sources) to read the whole article with the cited paragraph highlighted.</div>"
)


Spans = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class CiteRef:
    """What a citation link points at: a paragraph, and optionally the spans that support the answer."""

    file: str
    paragraph: int
    spans: Spans = ()
    # The language of the question whose answer cites the paragraph: the viewer offers a
    # machine translation into it when the paragraph is written in another.
    lang: str | None = None


def cite_href(
    file: str, paragraph: int, spans: Spans = (), lang: str | None = None, prefix: str = CITE_PREFIX
) -> str:
    """The fragment link of a citation (``#qa-cite/<file>/<n>[/<b>-<e>.<b>-<e>][/<lang>]``), see
    :func:`parse_cite_ref`; with ``prefix=TRANSLATE_PREFIX``, the link that asks for a translation."""
    href = f"{prefix}{quote(file, safe='')}/{paragraph}"
    if spans:
        href += "/" + ".".join(f"{b}-{e}" for b, e in spans)
    if lang:
        href += f"/{lang}"
    return href


_SPANS = re.compile(r"^\d+-\d+(\.\d+-\d+)*$")
_LANG = re.compile(r"^[a-z]{2,3}$")


def parse_cite_ref(ref: str, prefix: str = CITE_PREFIX) -> CiteRef | None:
    """The :class:`CiteRef` of a citation link (or, with ``prefix=TRANSLATE_PREFIX``, of a
    translation link); ``None`` if malformed."""
    ref = ref.strip()
    if not ref.startswith(prefix):
        return None
    parts = ref[len(prefix) :].split("/")
    if len(parts) not in (2, 3, 4) or not parts[0] or not parts[1].isdigit():
        return None
    rest = parts[2:]
    lang = None
    if rest and _LANG.match(rest[-1]):
        lang = rest.pop()
    spans: Spans = ()
    if rest:
        if len(rest) > 1 or not _SPANS.match(rest[0]):
            return None
        spans = tuple((int(b), int(e)) for b, e in (pair.split("-") for pair in rest[0].split(".")))
    return CiteRef(unquote(parts[0]), int(parts[1]), spans, lang)


def valid_spans(text: str, spans: Spans) -> list[tuple[int, int]]:
    """The spans that lie inside ``text``, in order and without overlaps (links come from the client)."""
    kept: list[tuple[int, int]] = []
    for begin, end in sorted(spans):
        if 0 <= begin < end <= len(text) and (not kept or begin >= kept[-1][1]):
            kept.append((begin, end))
    return kept


def text_html(text: str) -> str:
    """``text`` escaped for HTML, line breaks kept."""
    return escape(text).replace("\r\n", "\n").replace("\n", "<br>")


def _support_mark(text: str) -> str:
    """``text`` escaped and marked as supporting the answer."""
    return f'<mark class="qa-support">{text_html(text)}</mark>'


def highlighted_html(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` escaped, with each span wrapped in ``<mark>``."""
    out: list[str] = []
    pos = 0
    for begin, end in spans:
        out.append(text_html(text[pos:begin]))
        out.append(_support_mark(text[begin:end]))
        pos = end
    out.append(text_html(text[pos:]))
    return "".join(out)


ELLIPSIS = "…"
# Without a supporting sentence, a source is quoted from its start, up to about this many characters.
LEAD_CHARS = 200


def _lead_end(text: str, limit: int = LEAD_CHARS) -> int:
    """Where a quote of ``text``'s start ends: the text's end if it is short, else the last word
    boundary before ``limit`` (or ``limit`` itself in a word longer than that)."""
    if len(text) <= limit:
        return len(text)
    cut = text.rfind(" ", 0, limit + 1)
    return cut if cut > 0 else limit


def source_quote_html(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """A cited paragraph as the chat shows it under Sources: the sentences that support the
    answer, marked, with an ellipsis wherever text is left out (no supporting sentence found:
    the paragraph's start, unmarked); then, when anything was left out, the whole paragraph
    behind a "Whole paragraph" disclosure. Everything is escaped."""
    kept = valid_spans(text, tuple(spans))
    pieces: list[str] = []
    left_out = False
    pos = 0
    for begin, end in kept or [(0, _lead_end(text))]:
        if text[pos:begin].strip():
            left_out = True
            pieces.append(f" {ELLIPSIS} " if pieces else f"{ELLIPSIS} ")
        elif pieces:
            pieces.append(" ")
        piece = text[begin:end].strip()
        pieces.append(_support_mark(piece) if kept else text_html(piece))
        pos = end
    if text[pos:].strip():
        left_out = True
        pieces.append(f" {ELLIPSIS}")
    quote = f'<div class="qa-quote">{"".join(pieces)}</div>'
    if not left_out:
        return quote
    return (
        f'{quote}<details class="qa-source-more"><summary>Whole paragraph</summary>'
        f'<div class="qa-source-text">{highlighted_html(text, kept)}</div></details>'
    )


def _cite_link(
    citation: Citation, label: str, css: str = "qa-cite", spans: Spans = (), lang: str | None = None
) -> str:
    href = escape(cite_href(citation.file, citation.paragraph, spans, lang))
    title = escape(f"Open {citation.label} in the article viewer")
    return f'<a class="{css}" href="{href}" title="{title}">{escape(label)}</a>'


def answer_text_html(
    text: str, citations: list[Citation], support: Sequence[Spans] = (), lang: str | None = None
) -> str:
    """The answer text escaped, each valid ``[k]`` marker a link to its citation (with ``support[k-1]``
    and the question's language ``lang``)."""
    out: list[str] = []
    pos = 0
    for begin, end, k in numbered_markers(text):
        if not 1 <= k <= len(citations):
            continue
        out.append(text_html(text[pos:begin]))
        spans = support[k - 1] if k <= len(support) else ()
        out.append(_cite_link(citations[k - 1], f"[{k}]", "qa-cite qa-marker", spans, lang))
        pos = end
    out.append(text_html(text[pos:]))
    return "".join(out)


def fallback_notice(fallback: str) -> str:
    """A sentence explaining a fallback answer to a reader."""
    return FALLBACK_NOTICES.get(fallback, f"This answer was produced by a fallback ({fallback}).")


def _foreign_words_notice(answer: Answer) -> str:
    from qa.translation import foreign_words_notice

    return foreign_words_notice(answer.foreign_words)


def render_answer(answer: Answer) -> str:
    """The chat message for an answer: text with linked markers, fallback notice, Sources."""
    text = normalize_markers(answer.text, answer.citations)
    support = [
        tuple(support_spans(c.text, claim_for_marker(text, k)))
        for k, c in enumerate(answer.citations, start=1)
    ]
    parts = [
        '<div class="qa-answer"><div class="qa-answer-text">'
        f"{answer_text_html(text, answer.citations, support, answer.lang)}</div>"
    ]
    if answer.fallback:
        parts.append(
            f'<div class="qa-notice"><strong>Notice:</strong> {escape(fallback_notice(answer.fallback))}</div>'
        )
    if answer.foreign_words:
        parts.append(
            '<div class="qa-notice qa-foreign-words"><strong>Notice:</strong> '
            f"{escape(_foreign_words_notice(answer))}</div>"
        )
    if answer.citations:
        parts.append('<div class="qa-sources"><div class="qa-sources-title">Sources</div>')
        for k, (citation, spans) in enumerate(zip(answer.citations, support, strict=True), start=1):
            parts.append(
                f'<div class="qa-source"><span class="qa-source-num">[{k}]</span> '
                f"{_cite_link(citation, citation.label, spans=spans, lang=answer.lang)}"
                f"{source_quote_html(citation.text, spans)}</div>"
            )
        parts.append("</div>")
    parts.append("</div>")
    return "".join(parts)


WAITING = "Looking in the articles…"


def render_partial(text: str) -> str:
    """A message still being generated; before its first words, a note that work is under way
    (the bundled model takes a few seconds to read its sources)."""
    if not text:
        return (
            '<div class="qa-answer qa-streaming qa-pending">'
            f'<span class="qa-waiting">{escape(WAITING)}</span><span class="qa-cursor">▌</span></div>'
        )
    return f'<div class="qa-answer qa-streaming">{text_html(text)}<span class="qa-cursor">▌</span></div>'


def render_error(message: str) -> str:
    """A friendly error message in the chat."""
    return f'<div class="qa-error"><strong>Sorry:</strong> {text_html(message)}</div>'


def render_stopped() -> str:
    """In place of an answer stopped by the user: the unfinished text had no checked citations."""
    return (
        '<div class="qa-stopped"><strong>Stopped.</strong> The unfinished answer is not kept: '
        "its citations were not checked yet.</div>"
    )


def render_user(question: str) -> str:
    return f'<div class="qa-question">{text_html(question)}</div>'


def answer_markdown(answer: Answer) -> str:
    """The answer as Markdown for the API: markers as ``[file ¶n]`` and a Sources list.

    Text is returned as written (a scripting client gets the model's words verbatim);
    it is not HTML and must be escaped by whoever renders it.
    """
    text = normalize_markers(answer.text, answer.citations)
    out: list[str] = []
    pos = 0
    for begin, end, k in numbered_markers(text):
        if 1 <= k <= len(answer.citations):
            out.append(text[pos:begin] + answer.citations[k - 1].marker())
            pos = end
    out.append(text[pos:])
    lines = ["".join(out).strip()]
    if answer.fallback:
        lines += ["", f"*Notice: {fallback_notice(answer.fallback)}*"]
    if answer.foreign_words:
        lines += ["", f"*Notice: {_foreign_words_notice(answer)}*"]
    if answer.citations:
        lines += ["", "**Sources**", ""]
        lines += [f"- {c.marker()} {c.text}" for c in answer.citations]
    return "\n".join(lines)


def render_article(
    document: Document,
    paragraph: int,
    spans: Spans = (),
    *,
    translate_to: str | None = None,
    translation: str | Translation | None = None,
    translation_error: str | None = None,
) -> str:
    """The whole article, paragraph ``paragraph`` highlighted (id ``qa-para-<n>``).

    Within it, ``spans`` (the supporting sentences) are marked; without valid spans the
    whole paragraph is. When ``translate_to`` names a language the paragraph is not written in,
    a link below it asks for a machine translation into that language (see :mod:`qa.translation`);
    ``translation`` is that translation, so far (str) or finished, shown in its place, and
    ``translation_error`` why it could not be made (shown with the link, to try again).
    """
    parts = [
        f'<div class="qa-article"><div class="qa-article-head">{escape(document.file)} '
        f'<span class="qa-article-meta">({escape(document.lang)}, {len(document.paragraphs)} paragraphs; '
        f"showing ¶{paragraph})</span></div>"
    ]
    for p in document.paragraphs:
        classes = ["qa-para"]
        if p.boilerplate:
            classes.append("qa-boilerplate")
        body = text_html(p.text)
        if p.number == paragraph:
            classes.append("qa-hl")
            kept = valid_spans(p.text, spans)
            body = highlighted_html(p.text, kept) if kept else f'<mark class="qa-support">{body}</mark>'
        parts.append(
            f'<p id="qa-para-{p.number}" class="{" ".join(classes)}">'
            f'<span class="qa-pnum">¶{p.number}</span> {body}</p>'
        )
        if (
            p.number == paragraph
            and translate_to
            and translate_to != p.lang
            and has_language_name(translate_to)
        ):
            parts.append(
                _translation_html(document.file, p.number, translate_to, translation, translation_error)
            )
    parts.append("</div>")
    return "".join(parts)


def _translation_html(
    file: str, paragraph: int, lang: str, translation: str | Translation | None, error: str | None = None
) -> str:
    """Below a cited paragraph: the link asking for a translation into ``lang`` (after ``error``,
    when the last attempt failed), the translation as it is being written, or the finished one
    with its label and any problem its checks found."""
    name = escape(language_name(lang))
    if translation is None:
        href = escape(cite_href(file, paragraph, lang=lang, prefix=TRANSLATE_PREFIX))
        failed = f'<div class="qa-error">{text_html(error)}</div>' if error else ""
        return (
            f'<div class="qa-translation">{failed}<a class="qa-translate" href="{href}">'
            f"Translate ¶{paragraph} into {name}</a> (machine translation by the language model)</div>"
        )
    if isinstance(translation, str):
        return (
            f'<div class="qa-translation qa-streaming" lang="{escape(lang)}">'
            f'<div class="qa-translation-head">Translating into {name}…</div>'
            f'{text_html(translation)}<span class="qa-cursor">▌</span></div>'
        )
    warnings = "".join(
        f'<div class="qa-translation-warning">Check this one: {escape(problem)}.</div>'
        for problem in translation.problems
    )
    return (
        f'<div class="qa-translation" lang="{escape(lang)}">'
        f'<div class="qa-translation-head">Machine translation into {name} ({escape(translation.backend)} '
        f"model). It may contain errors: the paragraph above is the source.</div>"
        f'<div class="qa-translation-text">{text_html(translation.text)}</div>{warnings}</div>'
    )


def render_viewer_error(message: str) -> str:
    return f'<div class="qa-article qa-error">{text_html(message)}</div>'


def render_details(answer: Answer) -> str:
    """The expandable panel: every retrieved passage with its score, then backend and timings."""
    rows = []
    for rank, p in enumerate(answer.passages, start=1):
        link = _cite_link(Citation(p.file, p.paragraph, p.text), p.label, lang=answer.lang)
        rows.append(
            f"<tr><td>{rank}</td><td>{link}</td><td>{escape(p.lang)}</td>"
            f'<td class="qa-score">{p.score:.3f}</td><td>{text_html(p.text)}</td></tr>'
        )
    table = (
        '<table class="qa-passages"><thead><tr><th>#</th><th>paragraph</th><th>lang</th>'
        f"<th>score</th><th>text</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else "<p>No passages were retrieved.</p>"
    )
    facts = [
        ("backend", answer.backend + (f" (fallback: {answer.fallback})" if answer.fallback else "")),
        *([("why the fallback", answer.fallback_reason)] if answer.fallback_reason else []),
        ("answer language", answer.lang),
        ("found in the articles", "yes" if answer.found else "no"),
        *([("why no answer", answer.abstention_reason)] if answer.abstention_reason else []),
    ]
    if answer.standalone_question and answer.standalone_question != answer.question:
        facts.append(("question as searched", answer.standalone_question))
    facts += [(f"time: {name}", f"{seconds * 1000:.0f} ms") for name, seconds in answer.timings.items()]
    fact_rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in facts)
    return (
        f'<div class="qa-details"><table class="qa-facts">{fact_rows}</table>'
        f"<h4>Retrieved passages ({len(answer.passages)})</h4>{table}</div>"
    )


CSS = """
.qa-cite { cursor: pointer; text-decoration: none; font-weight: 600; }
.qa-marker { font-size: 0.85em; vertical-align: super; padding: 0 1px; }
.qa-sources { margin-top: 0.8em; border-top: 1px solid var(--border-color-primary); padding-top: 0.4em; }
.qa-sources-title { font-weight: 700; margin-bottom: 0.3em; }
.qa-source { margin: 0.4em 0; font-size: 0.92em; }
.qa-source-num { font-weight: 700; }
.qa-quote { margin: 0.2em 0 0 1.6em; }
.qa-source-more { margin: 0.2em 0 0 1.6em; }
.qa-source-more > summary { cursor: pointer; font-size: 0.9em; color: var(--body-text-color-subdued); }
.qa-source-more[open] > summary { margin-bottom: 0.2em; }
mark.qa-support { background: #fcd34d; color: #111; padding: 0 2px; border-radius: 2px; }
.qa-notice { margin-top: 0.6em; padding: 0.4em 0.6em; border-left: 4px solid #f59e0b; background: rgba(245, 158, 11, 0.12); }
.qa-stopped { padding: 0.4em 0.6em; border-left: 4px solid #6b7280; background: rgba(107, 114, 128, 0.10); }
.qa-error { padding: 0.4em 0.6em; border-left: 4px solid #dc2626; background: rgba(220, 38, 38, 0.10); }
.qa-article { max-height: 70vh; overflow-y: auto; padding: 0.5em 0.8em; border: 1px solid var(--border-color-primary); border-radius: 6px; }
.qa-article-empty { color: var(--body-text-color-subdued); }
.qa-article-head { font-weight: 700; margin-bottom: 0.5em; padding: 0.2em 0; position: sticky; top: -0.5em; z-index: 1; background: var(--block-background-fill, #fff); border-bottom: 1px solid var(--border-color-primary); }
.qa-article-meta { font-weight: 400; color: var(--body-text-color-subdued); }
.qa-para { margin: 0.5em 0; }
.qa-para.qa-hl { outline: 2px solid #f59e0b; background: rgba(253, 230, 138, 0.35); border-radius: 4px; padding: 2px 4px; }
.qa-translation { margin: 0.2em 0 0.8em 1.5em; padding: 0.4em 0.6em; border-left: 4px solid #6366f1; background: rgba(99, 102, 241, 0.08); border-radius: 0 4px 4px 0; }
.qa-translation-head { font-size: 0.85em; color: var(--body-text-color-subdued); margin-bottom: 0.3em; }
.qa-translation-warning { margin-top: 0.3em; font-size: 0.9em; color: #b45309; }
.qa-translation .qa-error { margin-bottom: 0.4em; }
.qa-boilerplate { color: var(--body-text-color-subdued); font-size: 0.85em; }
.qa-pnum { color: var(--body-text-color-subdued); font-size: 0.8em; margin-right: 0.3em; }
.qa-passages td, .qa-passages th, .qa-facts td, .qa-facts th { vertical-align: top; padding: 2px 6px; font-size: 0.9em; }
.qa-score { font-variant-numeric: tabular-nums; }
.qa-waiting { color: var(--body-text-color-subdued); font-style: italic; margin-right: 0.3em; }
/* Narrow screens: each retrieved passage as a block (rank, paragraph, language and score,
   then its text) instead of a five-column table wider than a phone. */
@media (max-width: 640px) {
  .qa-passages thead { display: none; }
  .qa-passages, .qa-passages tbody, .qa-passages tr { display: block; width: 100%; }
  .qa-passages tr { border-top: 1px solid var(--border-color-primary); padding: 0.3em 0; }
  .qa-passages td { display: inline-block; border: none; }
  .qa-passages td:last-child { display: block; overflow-wrap: anywhere; }
}
"""
