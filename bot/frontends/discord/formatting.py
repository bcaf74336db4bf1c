"""Turn an ``Answer`` (and the service's lists) into Discord messages within Discord's limits.

Limits (https://discord.com/developers/docs/resources/message): 2,000 characters of content per
message; an embed's description 4,096, at most 25 fields (name 256, value 1,024) and 6,000
characters in total across title, description, fields, footer and author.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import discord

from bot.answering.headlines import shown_title
from bot.frontends.common.splitting import shorten, split_message
from bot.frontends.discord.mention_text import plain_mentions
from bot.models import Answer, Citation
from bot.service import SourceInfo

CONTENT_LIMIT = 2000
DESCRIPTION_LIMIT = 4096
FIELD_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
EMBED_TOTAL_LIMIT = 6000
QUOTE_LIMIT = 300
TITLE_LIMIT = 150
# A longer url would crowd the other sources out of the embed: the line then names the file.
URL_LIMIT = 500
# A bare address in message text (not already in <…>): up to whitespace, without the
# punctuation that ends a sentence or closes brackets around it.
_BARE_URL = re.compile(r"(?<![<\w])https?://[^\s<>]*[^\s<>.,;:!?'\")\]]")
ASKED_PREFIX = "> ❓ "
ASKED_MAX_CHARS = 200

WRITING_MARKER = " ▌"
# Passed to every send and edit (and set on the client): text from articles or users that
# contains @everyone, a role or a user mention must never ping anyone.
NO_PINGS = discord.AllowedMentions.none()
COLOUR = discord.Colour.blurple()

def no_link_previews(text: str) -> str:
    """``text`` with each bare http(s) address in ``<…>``, which Discord shows as a link without
    a preview: an address quoted from an article must not unfold a page under the answer."""
    return _BARE_URL.sub(lambda match: f"<{match.group(0)}>", text)


def streaming_preview(text: str, limit: int = CONTENT_LIMIT) -> str:
    """What a reply shows while an answer is still streaming: its start and a writing marker."""
    room = limit - len(WRITING_MARKER)
    return shorten(plain_mentions(text.strip()), room) + WRITING_MARKER


def _fit_lines(lines: Sequence[str], limit: int) -> str:
    """Join ``lines`` with newlines, dropping the tail (and saying so) to stay within ``limit``."""
    out: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        remaining = len(lines) - index
        more = f"…and {remaining} more" if remaining > 0 else ""
        # Keep room for the "…and N more" line in case a later line does not fit.
        if used + len(line) + 1 + len(more) + 1 > limit and index < len(lines) - 1:
            out.append(more)
            return "\n".join(out)
        if used + len(line) + 1 > limit:
            out.append(shorten(line, max(limit - used - 1, 1)))
            return "\n".join(out)
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


def _one_line(text: str) -> str:
    """One line of text for an embed, with any mention markup from an article made plain."""
    return " ".join(plain_mentions(text).split())


def _link_text(text: str) -> str:
    """``text`` escaped for the inside of a markdown link's brackets."""
    escaped = discord.utils.escape_markdown(text)
    return escaped.replace("[", "\\[").replace("]", "\\]")


def _link_target(url: str) -> str:
    """``url`` safe inside ``(…)``: parentheses percent-encoded, so none ends the link early
    (the loaders keep only http(s) urls without spaces, ``<>`` or quotes)."""
    return url.replace("(", "%28").replace(")", "%29")


def citation_line(citation: Citation, quote_limit: int = QUOTE_LIMIT) -> str:
    """``**1.** [Title](url) · 2025-03-11 — “quote”`` with what is known, the quote shortened
    and markdown escaped. Without a url the file says where the article is
    (``Title · `file.txt` ``); a first-line title shows only when it reads as a headline.
    Links in an embed get no preview, so the sources never unfurl under the answer."""
    quote = discord.utils.escape_markdown(shorten(_one_line(citation.quote), quote_limit))
    title = shorten(_one_line(shown_title(citation.title, citation.title_given)), TITLE_LIMIT)
    if citation.url and len(citation.url) <= URL_LIMIT:
        label = f"[{_link_text(title or citation.file)}]({_link_target(citation.url)})"
    else:
        label = " · ".join(part for part in (discord.utils.escape_markdown(title),
                                             f"`{citation.file}`") if part)
    if citation.date:
        label += f" · {citation.date}"
    if citation.also_in:
        places = discord.utils.escape_markdown(shorten(", ".join(citation.also_in), TITLE_LIMIT))
        label += f" · also ran in: {places}"
    return f"**{citation.n}.** {label} — “{quote}”"


def sources_embed(answer: Answer) -> discord.Embed | None:
    """The embed listing an answer's numbered sources, or ``None`` if it cites nothing."""
    if not answer.citations:
        return None
    # Share the description among the citations so many sources still fit with a quote each.
    per_line = DESCRIPTION_LIMIT // len(answer.citations) - 60
    quote_limit = max(60, min(QUOTE_LIMIT, per_line))
    lines = [citation_line(c, quote_limit) for c in answer.citations]
    embed = discord.Embed(title="Sources", colour=COLOUR,
                          description=_fit_lines(lines, DESCRIPTION_LIMIT))
    footer = [part for part in (answer.note.rstrip("."), answer.backend) if part]
    if answer.timings.total:
        footer.append(f"{answer.timings.total / 1000:.1f} s")
    if footer:
        embed.set_footer(text=" · ".join(footer))
    return embed


def answer_messages(answer: Answer, *, quote_question: bool = False) -> list[str]:
    """The answer's text (with its ``[n]`` markers) as one or more messages; with
    ``quote_question``, the first opens with the question quoted (an ``/ask`` answer: there,
    nobody else sees what was asked, and a reply to it needs the question as context)."""
    text = no_link_previews(plain_mentions(answer.text)) or \
        "I could not find an answer in the articles."
    if quote_question:
        text = f"{ASKED_PREFIX}{shorten(_one_line(answer.question), ASKED_MAX_CHARS)}\n{text}"
    return split_message(text, CONTENT_LIMIT)


def asked_question(content: str) -> str:
    """The question an ``/ask`` answer quotes on its first line, or ""."""
    first, _, _ = content.partition("\n")
    return first.removeprefix(ASKED_PREFIX).strip() if first.startswith(ASKED_PREFIX) else ""


def sources_list_embed(sources: Sequence[SourceInfo]) -> discord.Embed:
    """`/sources`: every indexed article with its title and chunk count."""
    lines = [
        f"`{s.file}` — {discord.utils.escape_markdown(shorten(_one_line(s.title), 150))}"
        f"{f' · {s.date}' if s.date else ''}"
        f" ({s.chunks} chunk{'s' if s.chunks != 1 else ''})"
        for s in sources
    ]
    total_chunks = sum(s.chunks for s in sources)
    embed = discord.Embed(
        title=f"Indexed articles ({len(sources)})", colour=COLOUR,
        description=_fit_lines(lines, DESCRIPTION_LIMIT) if lines else "Nothing is indexed yet.",
    )
    embed.set_footer(text=f"{total_chunks} chunks in total")
    return embed


def _value_text(value: Any) -> str:
    if isinstance(value, list | tuple) and value and all(isinstance(v, Mapping) for v in value):
        # The followed sources: one line each, as `newsbot status` prints them.
        from ingest.sources.status import describe_source

        return "\n".join(describe_source(row) for row in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def status_embed(status: Mapping[str, Any]) -> discord.Embed:
    """`/status`: one field per status entry, within the field and total limits."""
    embed = discord.Embed(title="newsbot status", colour=COLOUR)
    items: Iterable[tuple[str, Any]] = list(status.items())[:FIELD_LIMIT]
    for key, value in items:
        name = shorten(str(key).replace("_", " "), FIELD_NAME_LIMIT)
        text = shorten(_value_text(value), FIELD_VALUE_LIMIT) or "—"
        if len(embed) + len(name) + len(text) > EMBED_TOTAL_LIMIT:
            break
        embed.add_field(name=name, value=text, inline=len(text) < 40)
    return embed


DM_HINT = ("I answer questions in servers, not in direct messages: mention me in a channel "
           "of a server I'm in, or use /ask there.")


def not_here_text(channels: Iterable[int]) -> str:
    """Where the bot answers, as channel links (which never ping)."""
    listed = ", ".join(f"<#{c}>" for c in sorted(channels))
    return f"I don't answer questions in this channel; please ask in one of: {listed}."


def roles_only_text(role_ids: Iterable[int]) -> str:
    """Who may ask, as role mentions (shown as names; ``NO_PINGS`` keeps them silent)."""
    listed = ", ".join(f"<@&{r}>" for r in sorted(role_ids))
    return f"In this server only members with these roles can ask me: {listed}."


def cooldown_text(seconds: float) -> str:
    return f"Slow down a little: you can ask again in {math.ceil(seconds)} s."


QUEUED_PREFIX = "⏳ Queued"
INTERRUPTED = "⚠️ This answer was interrupted by a restart; I'll finish it when I'm back."


def queued_text(position: int) -> str:
    return (f"{QUEUED_PREFIX}, position {position}: other answers are in progress; "
            "I'll start on yours as soon as one finishes.")


def thread_name(question: str) -> str:
    """A thread title from the question: one line, 1–100 characters (Discord's limit)."""
    return shorten(_one_line(question), 100) or "newsbot"
