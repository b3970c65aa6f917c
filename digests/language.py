"""Which language an article is written in, so that the English pipeline is only used on English.

py3langid ships its model inside the package (nothing is downloaded); it is loaded once, on the
first article, and kept.
"""

from __future__ import annotations

import functools

from py3langid.langid import MODEL_FILE, LanguageIdentifier

ENGLISH = "en"
# How much of the text is looked at: the opening says which language a page is in, and the cost
# stays flat however long the article is.
SAMPLE_CHARS = 4000
# Below this probability the text is taken as English: a short English text full of names can
# look like anything, and the English digest is the one that was always made.
MIN_CONFIDENCE = 0.9


@functools.cache
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def load_language_model() -> None:
    """Load the language model now (it takes a second), so that the first digest does not wait."""
    _identifier()


def detect_language(text: str) -> str:
    """The ISO 639-1 code of the language `text` is written in ("en" when unsure)."""
    sample = text[:SAMPLE_CHARS]
    if not sample.strip():
        return ENGLISH
    language, confidence = _identifier().classify(sample)
    return str(language) if confidence >= MIN_CONFIDENCE else ENGLISH


def is_english(language: str | None) -> bool:
    return language in (None, ENGLISH)


# Names for the note a reader sees; other languages are named by their code.
_NAMES = {"de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "pt": "Portuguese", "nl": "Dutch",
          "ru": "Russian", "uk": "Ukrainian", "pl": "Polish", "sv": "Swedish", "da": "Danish", "no": "Norwegian",
          "fi": "Finnish", "cs": "Czech", "tr": "Turkish", "el": "Greek", "ar": "Arabic", "he": "Hebrew",
          "fa": "Persian", "hi": "Hindi", "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "id": "Indonesian",
          "vi": "Vietnamese", "th": "Thai", "hu": "Hungarian", "ro": "Romanian", "ca": "Catalan"}


def language_name(code: str) -> str:
    return _NAMES.get(code, f"language code {code!r}")


def language_note(language: str | None) -> str | None:
    """The line every renderer shows for an article that is not in English, else None."""
    if is_english(language):
        return None
    return (f"This article is in {language_name(str(language))}: only its title, date and opening sentences are "
            "shown; quotes, speakers, names, implications and disputes are made for English articles only.")
