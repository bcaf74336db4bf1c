"""HTML articles: visible text only, one line per block, the page title first."""

from __future__ import annotations

from ingest.loaders.html_text import html_to_text


def test_blocks_become_lines_and_inline_tags_vanish() -> None:
    markup = ("<article><h2>Heading</h2><p>One <em>two</em> <a href='x'>three</a>.</p>"
              "<ul><li>first</li><li>second</li></ul>line<br>break</article>")
    assert html_to_text(markup).splitlines() == [
        "Heading", "One two three.", "first", "second", "line", "break"]


def test_scripts_styles_and_head_are_dropped() -> None:
    markup = ("<html><head><meta charset='utf-8'><style>.a{}</style>"
              "<script>window.track()</script></head><body>"
              "<noscript>Enable JS</noscript><template><p>hidden</p></template>"
              "<svg><text>icon</text></svg><p>Visible.</p>"
              "<script>document.write('<p>injected</p>')</script></body></html>")
    assert html_to_text(markup) == "Visible."


def test_title_goes_first_unless_the_body_starts_with_it() -> None:
    assert html_to_text("<title>Top story</title><p>Body.</p>") == "Top story\nBody."
    assert html_to_text("<title>Top story</title><h1>Top story</h1><p>Body.</p>") == \
        "Top story\nBody."


def test_a_wrapped_title_is_one_line() -> None:
    assert html_to_text("<title> Spaced \n title </title>") == "Spaced title"
    assert html_to_text("<title>Top\n story</title><h1>Top story</h1><p>B.</p>") == "Top story\nB."


def test_entities_and_whitespace_are_normalised() -> None:
    markup = "<p>Rock &amp; roll&nbsp;&mdash; caf&eacute; &#8220;q&#8221;   spaced \t  out</p>"
    assert html_to_text(markup) == "Rock & roll\xa0— café “q” spaced out"


def test_a_hard_wrapped_paragraph_stays_one_line() -> None:
    markup = "<p>The talks were held\n  in Saudi Arabia on\n  Tuesday.</p>\n<p>Next.</p>"
    assert html_to_text(markup) == "The talks were held in Saudi Arabia on Tuesday.\nNext."


def test_unclosed_and_broken_markup_does_not_raise() -> None:
    assert html_to_text("<p>Open paragraph <b>bold <i>both") == "Open paragraph bold both"
    assert html_to_text("<div><p>a</div></p>b<").splitlines()[0] == "a"


def test_no_text_at_all() -> None:
    assert html_to_text("") == ""
    assert html_to_text("<script>only()</script>") == ""


def test_entities_are_decoded_once() -> None:
    # "&amp;lt;" is the text "&lt;" written in HTML, not "<".
    assert html_to_text("<p>x &amp;lt;y&amp;gt; &amp;amp; z</p>") == "x &lt;y&gt; &amp; z"
