"""The sentence splitter moved to ``ingest.sentences`` (ingest embeds the same sentences ahead
of time and may not import bot); this name stays so code written against it keeps working."""

from ingest.sentences import Sentence, split_sentences

__all__ = ["Sentence", "split_sentences"]
