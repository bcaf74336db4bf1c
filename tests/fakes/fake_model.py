"""What the fake OpenAI server "thinks": a generic citing responder and a bag-of-words embedding.

Kept apart from the HTTP plumbing so tests can compute the expected reply or vector directly.
Nothing here hard-codes answers: the reply is derived from whatever sources the prompt carries.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

Message = dict[str, Any]

DEFAULT_EMBED_DIM = 64
_EMBED_FLOOR = 0.01  # keeps the vector non-zero (and normalisable) for text with no words
_WORDS_PER_CHUNK = 2


# A source header at the start of a line: "Source 1:", "Source 2 (file.txt):" or "[1]". A
# role prefix is allowed because completion-style clients flatten chat into "user: Source 1:".
_SOURCE_HEADER = re.compile(
    r"^[ \t]*(?:(?:system|user|human|assistant):[ \t]*)?"
    # "Source 1:", "Source 1 (file: a.txt; title: T):" (newsbot's own header) or "[1]".
    r"(?:source[ \t]+(\d+)\b(?:[ \t]*\([^\n]*\))?[^\n:]{0,80}:|\[(\d+)\])[ \t]*",
    re.IGNORECASE | re.MULTILINE,
)
# LlamaIndex puts node metadata ("file_name: x") before the text; skip such lines.
_METADATA_LINE = re.compile(r"[a-z_][a-z0-9_]*:[ \t]")
# A sentence ends at . ! or ? (optionally closed by a quote/bracket) before a capitalised word
# or the end, so "U.S. officials" does not end a sentence.
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d)\]]?(?=\s+[A-Z0-9\"'\u201c(]|\s*$)")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def message_text(message: Message) -> str:
    """The text of a chat message whose content is a string or a list of content parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(part.get("text", "")) for part in content if isinstance(part, dict)
        )
    return ""


def last_question(messages: list[Message]) -> str:
    """The text of the last message that is not the assistant's: the question asked now, after
    any worked example a prompt shows as earlier turns."""
    asked = [m for m in messages if m.get("role") != "assistant"]
    return message_text(asked[-1]) if asked else ""


def parse_sources(text: str) -> dict[int, str]:
    """Numbered source blocks in a prompt, number → body (up to the next header).

    When a number repeats (a prompt template's worked example followed by the real sources),
    the later block wins: the real sources come last.
    """
    matches = list(_SOURCE_HEADER.finditer(text))
    sources: dict[int, str] = {}
    for i, match in enumerate(matches):
        number = int(match.group(1) or match.group(2))
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        sources[number] = text[match.end() : end]
    return sources


def first_sentence(body: str) -> str:
    """The first sentence of a source body, skipping leading ``key: value`` metadata lines."""
    lines = body.strip().splitlines()
    while len(lines) > 1 and (_METADATA_LINE.match(lines[0]) or not lines[0].strip()):
        lines.pop(0)
    paragraph = _PARAGRAPH_BREAK.split("\n".join(lines).strip(), maxsplit=1)[0]
    paragraph = " ".join(paragraph.split())
    for end in _SENTENCE_END.finditer(paragraph):
        if not _is_abbreviation(paragraph, end.start()):
            return paragraph[: end.end()]
    return paragraph


_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "gen", "gov", "sen",
                            "rep", "no", "inc", "corp", "co", "ltd", "prof", "lt", "col", "sgt"})


def _is_abbreviation(text: str, period_at: int) -> bool:
    """Whether the period at ``period_at`` ends an abbreviation ("U.S.", "J.", "Mr.")."""
    if text[period_at] != ".":
        return False
    word = re.split(r"[\s(\"'\u201c]", text[:period_at])[-1]
    initials = re.fullmatch(r"(?:[A-Z]\.)*[A-Z]", word) is not None
    return initials or word.lower() in _ABBREVIATIONS


def default_responder(messages: list[Message]) -> str:
    """Cite source 1's first sentence, or admit ignorance when the prompt has no sources.
    Sources may sit in any message but the assistant's (llama-index puts them in the system
    prompt); a worked example's source 1 gives way to the real one after it."""
    prompt = "\n".join(message_text(m) for m in messages if m.get("role") != "assistant")
    source = parse_sources(prompt).get(1)
    if source is None:
        return "I don't know."
    sentence = first_sentence(source)
    return f"{sentence} [1]" if sentence else "I don't know."


def embed_text(text: str, dim: int = DEFAULT_EMBED_DIM) -> list[float]:
    """A deterministic L2-normalised hashed bag of lower-cased words.

    Texts that share words get similar vectors, which is enough for retrieval tests. A stable
    hash (not ``hash()``, which is salted per process) keeps vectors equal across runs.
    """
    vector = [_EMBED_FLOOR] * dim
    for word in re.findall(r"\w+", text.lower()):
        digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
        vector[int.from_bytes(digest, "little") % dim] += 1.0
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector]


def split_for_stream(text: str) -> list[str]:
    """Split text into small pieces whose concatenation is exactly ``text``."""
    words = re.split(r"(?<=\s)(?=\S)", text)
    return [
        "".join(words[i : i + _WORDS_PER_CHUNK])
        for i in range(0, len(words), _WORDS_PER_CHUNK)
        if "".join(words[i : i + _WORDS_PER_CHUNK])
    ]


def count_tokens(text: str) -> int:
    """A rough token count (words), enough for plausible ``usage`` figures."""
    return len(text.split())
