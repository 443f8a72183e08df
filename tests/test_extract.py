"""Structure-based clean-up in pipelines/extract.py: cards made of one link, dialogs; when the recall run is worth it."""

from trafilatura.utils import load_html

from pipelines.clean import blocks_to_text
from pipelines.extract import _gap, extract_page

URL = "https://www.example-health.com/conditions/"
PROSE = [
    "Our specialists treat common and rare conditions of the heart, lungs and blood vessels, "
    "working with your own doctor to plan care that fits your life and your family.",
    "Each clinic offers same-week appointments, on-site testing and a nurse who helps you "
    "prepare for every visit and answers your questions between appointments.",
    "Most patients start with a single visit, in which the team reviews your history, "
    "examines you and explains the options before any test or treatment is chosen.",
]


def _text(html: str) -> str:
    return blocks_to_text(extract_page(html, URL)["blocks"])


def test_a_listing_of_card_links_keeps_its_cards():
    """A topic index whose items are cards wrapped in one link each (heading and blurb inside
    the <a>): the cards are the page's content, not a link list to drop."""
    cards = "".join(
        f'<a class="card" href="/conditions/topic-{i}"><div><h3>Condition number {i}</h3>'
        f"<p>What condition number {i} is, how it is found and how our clinics treat it.</p></div></a>"
        for i in range(12)
    )
    html = f"""<html><head><title>Conditions we treat</title></head><body>
      <nav><a href="/">Home</a> <a href="/about">About</a></nav>
      <main><h1>Conditions we treat</h1><p>{PROSE[0]}</p><div class="grid">{cards}</div></main>
      <footer><a href="/privacy">Privacy</a></footer></body></html>"""
    text = _text(html)
    for i in range(12):
        assert f"Condition number {i}" in text
        assert f"What condition number {i} is, how it is found" in text


def test_dialogs_go_and_non_modal_sheets_stay():
    """A modal dialog (consent centre, app prompt) is not the page's text, however long;
    a sheet marked aria-modal="false" is part of the page (a product's description panel)."""
    consent = " ".join(
        f"Partner number {i} stores and reads information on your device to measure audiences." for i in range(15)
    )
    html = f"""<html><head><title>Heart care</title></head><body>
      <div role="dialog" aria-modal="true" aria-label="Preference centre"><h2>Preference centre</h2>
        <p>{consent}</p><button>Accept</button></div>
      <dialog><p>Get the Example Health app and keep your appointments in your pocket, wherever you go.</p></dialog>
      <main><article><h1>Heart care</h1><p>{PROSE[0]}</p><p>{PROSE[1]}</p>
        <div role="dialog" aria-modal="false" class="sheet"><h2>Before your visit</h2><p>{PROSE[2]}</p></div>
      </article></main></body></html>"""
    text = _text(html)
    assert PROSE[0] in text and PROSE[1] in text
    assert PROSE[2] in text
    assert "Partner number" not in text and "Preference centre" not in text
    assert "Example Health app" not in text


def test_gap_is_the_text_between_the_first_and_last_block_not_taken():
    """What trafilatura's recall run could add between the blocks of a short result: the page's
    text from the first block to the last that the blocks do not hold (whitespace aside); unknown
    (infinite, so the recall run happens) when the blocks are not found in page order."""
    tree = load_html(
        f"<html><body><nav>Home About</nav><p>{PROSE[0]}</p><div>Topic cards here</div>"
        f"<p>{PROSE[1]}</p><footer>Privacy</footer></body></html>"
    )
    blocks = [("p", PROSE[0], 0.0), ("p", PROSE[1], 0.0)]
    assert _gap(tree, blocks) == len("Topiccardshere")
    assert _gap(tree, blocks[:1]) == 0
    assert _gap(tree, blocks[::-1]) == float("inf")
    assert _gap(tree, []) == float("inf")
    assert _gap(tree, [("p", "Not on the page at all", 0.0)]) == float("inf")
