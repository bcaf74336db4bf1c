"""The no-LLM backend: answers with the articles' own sentences, as the shared evidence rules
(``bot/answering/evidence/``) choose them."""
