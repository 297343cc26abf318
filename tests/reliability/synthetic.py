"""Synthetic multilingual source folders of a few thousand paragraphs, for index fault tests.

Each paragraph is two sentences in one of the five corpus languages (so a build writes one
Chroma collection per language), with numbers that make every paragraph distinct.
"""

from __future__ import annotations

from pathlib import Path

TEMPLATES = {
    "en": (
        "In {town} the council met on day {n} to discuss topic {t} and the harbour budget.",
        "The mayor promised {m} new buses for district {d} before the winter.",
    ),
    "de": (
        "In {town} traf sich der Rat am Tag {n}, um über Thema {t} und den Hafenhaushalt zu beraten.",
        "Die Bürgermeisterin versprach {m} neue Busse für den Bezirk {d} noch vor dem Winter.",
    ),
    "fr": (
        "À {town}, le conseil s'est réuni le jour {n} pour discuter du sujet {t} et du budget du port.",
        "La maire a promis {m} nouveaux bus pour le quartier {d} avant l'hiver.",
    ),
    "sv": (
        "I {town} möttes fullmäktige dag {n} för att diskutera ämne {t} och hamnens budget.",
        "Borgmästaren lovade {m} nya bussar till stadsdel {d} före vintern.",
    ),
    "nl": (
        "In {town} kwam de gemeenteraad op dag {n} bijeen om onderwerp {t} en de havenbegroting te bespreken.",
        "De burgemeester beloofde {m} nieuwe bussen voor wijk {d} nog voor de winter.",
    ),
}
TOWNS = ["Alphaville", "Betatown", "Gammaburg", "Deltaport", "Epsilonby", "Zetaham"]
LANGS = list(TEMPLATES)


def paragraph(lang: str, file: int, n: int, revision: int = 0) -> str:
    first, second = TEMPLATES[lang]
    town = TOWNS[file % len(TOWNS)]
    values = {"town": town, "n": n + 1, "t": (n * 7 + file) % 101, "m": n % 50 + 2 + revision, "d": n % 23}
    return f"{first.format(**values)} {second.format(**values)}"


def write_state(folder: Path, state: str, *, files: int = 5, per_file: int = 400) -> None:
    """Sources of state "a" or "b" in ``folder`` (replacing what was there).

    State b changes every fifth paragraph of the second file, drops the last file and adds a
    new one, so a build has paragraphs to add, update, remove and reuse.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.glob("*.txt"):
        path.unlink()
    for f in range(files):
        if state == "b" and f == files - 1:
            continue
        lang = LANGS[f % len(LANGS)]
        lines = [
            paragraph(lang, f, n, revision=1 if state == "b" and f == 1 and n % 5 == 0 else 0)
            for n in range(per_file)
        ]
        (folder / f"city-{f}-{lang}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if state == "b":
        lang = LANGS[(files - 1) % len(LANGS)]  # the language of the dropped file
        lines = [paragraph(lang, files, n) for n in range(per_file // 2)]
        (folder / f"city-{files}-{lang}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
