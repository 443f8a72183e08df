"""Tests for healtharchive.diff."""

import json
import random

import pytest

from healtharchive.diff import (
    diff,
    html_inline,
    html_side_by_side,
    stats,
    to_json,
    unified,
    words,
)

OLD = "\n\n".join(
    [
        "Measles: what you need to know",
        "Measles is a highly infectious disease that spreads through coughs and sneezes.",
        "- Get vaccinated with two doses of MMR",
        "Call your doctor if you have symptoms.",
        "Stay at home for 4 days after the rash appears.",
    ]
)
HOSTILE = '<img src=x onerror=alert(1)> & "quotes"'


def changes(ops):
    return [op for op in ops if op["op"] != "equal"]


def rebuild(op, side):
    """Reassemble one side of a replace op from its word list."""
    drop = "insert" if side == "old" else "delete"
    return "".join(text for tag, text in op["words"] if tag != drop)


def test_equal_texts_have_no_changes():
    ops = diff(OLD, OLD)
    assert [op["op"] for op in ops] == ["equal"] * 5
    assert stats(ops) == dict.fromkeys(
        ["words_added", "words_removed", "blocks_added", "blocks_removed", "blocks_changed"], 0
    )
    assert unified(OLD, OLD) == ""
    assert words(ops) == ""


def test_blank_line_variants_and_crlf_do_not_count_as_changes():
    messy = "\r\n" + OLD.replace("\n\n", "\r\n  \r\n\n") + "\n\n\n"
    assert changes(diff(OLD, messy)) == []


def test_one_sentence_edit_is_one_replace_with_exact_words():
    new = OLD.replace("highly infectious disease", "very contagious illness")
    ops = diff(OLD, new)
    (op,) = changes(ops)
    assert op["op"] == "replace"
    assert op["old"] == OLD.split("\n\n")[1] and op["new"] == new.split("\n\n")[1]
    assert op["words"] == [
        ("equal", "Measles is a "),
        ("delete", "highly infectious disease"),
        ("insert", "very contagious illness"),
        ("equal", " that spreads through coughs and sneezes."),
    ]


def test_word_insertion_and_deletion_keep_spacing():
    ops = diff("The cat sat on the mat.", "The black cat sat on mat.")
    (op,) = ops
    assert op["words"] == [
        ("equal", "The"),
        ("insert", " black"),
        ("equal", " cat sat on"),
        ("delete", " the"),
        ("equal", " mat."),
    ]
    assert words(ops) == "The {+black+} cat sat on [-the-] mat.\n"


def test_word_lists_rebuild_both_versions_exactly():
    rng = random.Random(7)
    vocab = ["a", "b", "c", "d", "e", "f", "", "g\th"]
    for _ in range(200):
        old = " ".join(rng.choices(vocab, k=rng.randint(3, 12))).strip() or "x"
        new = " ".join(rng.choices(vocab, k=rng.randint(3, 12))).strip() or "y"
        for op in diff(old, new):
            if op["op"] == "replace":
                assert rebuild(op, "old") == op["old"]
                assert rebuild(op, "new") == op["new"]


def test_inserted_and_removed_paragraphs():
    blocks = OLD.split("\n\n")
    new = "\n\n".join(blocks[:2] + ["New guidance: check your records."] + blocks[2:3] + blocks[4:])
    ops = diff(OLD, new)
    assert [(op["op"], op["old"], op["new"]) for op in changes(ops)] == [
        ("insert", None, "New guidance: check your records."),
        ("delete", "Call your doctor if you have symptoms.", None),
    ]
    assert stats(ops) == {
        "words_added": 5,
        "words_removed": 7,
        "blocks_added": 1,
        "blocks_removed": 1,
        "blocks_changed": 0,
    }


def test_rewritten_paragraph_is_delete_plus_insert():
    new = OLD.replace("Call your doctor if you have symptoms.", "Vaccination clinics open on Saturdays in March.")
    assert [op["op"] for op in changes(diff(OLD, new))] == ["delete", "insert"]


def test_replaced_range_pairs_similar_blocks_around_an_insert():
    old = "Alpha beta gamma delta.\n\nOne two three four five."
    new = "Alpha beta gamma delta epsilon.\n\nA brand new paragraph here.\n\nOne two three four six."
    ops = diff(old, new)
    assert [op["op"] for op in ops] == ["replace", "insert", "replace"]
    assert ops[2]["words"] == [("equal", "One two three four "), ("delete", "five."), ("insert", "six.")]


def test_stats_counts_words_in_edits_and_whole_blocks():
    new = OLD.replace("4 days", "five whole days") + "\n\nA final new note."
    s = stats(diff(OLD, new))
    assert s == {"words_added": 2 + 4, "words_removed": 1, "blocks_added": 1, "blocks_removed": 0, "blocks_changed": 1}


def test_punctuation_is_not_a_word():
    from archive.text import count_words

    assert count_words("Physical therapy, then therapy. - | COVID-19 don't") == 6
    ops = diff("Try physical therapy, twice a week.", "Try physical therapy twice a week!")
    assert [op["op"] for op in ops] == ["replace"]
    s = stats(ops)
    assert (s["words_added"], s["words_removed"], s["blocks_changed"]) == (0, 0, 1)
    s = stats(diff("Try physical therapy, twice a week.", "Try occupational therapy twice a week."))
    assert (s["words_added"], s["words_removed"]) == (1, 1)


def test_unified_format():
    new = OLD.replace("two doses", "2 doses")
    assert unified(OLD, new, "march", "now", context=1) == (
        "--- march\n"
        "+++ now\n"
        "@@ -2,3 +2,3 @@\n"
        " Measles is a highly infectious disease that spreads through coughs and sneezes.\n"
        "-- Get vaccinated with two doses of MMR\n"
        "+- Get vaccinated with 2 doses of MMR\n"
        " Call your doctor if you have symptoms.\n"
    )


def test_unified_keeps_one_line_per_block():
    out = unified("line one\nline two", "line one\nline 2")
    assert out.splitlines()[3:] == ["-line one line two", "+line one line 2"]


def test_words_plain_elides_unchanged_blocks():
    new = OLD.replace("Call your doctor", "Phone your doctor")
    assert words(diff(OLD, new)) == (
        "… 3 unchanged paragraphs …\n\n"
        "[-Call-]{+Phone+} your doctor if you have symptoms.\n\n"
        "… 1 unchanged paragraph …\n"
    )


def test_words_whole_blocks_and_colour():
    ops = diff("Keep.\n\nGone.", "Keep.\n\nFresh text entirely.")
    assert words(ops) == "… 1 unchanged paragraph …\n\n[-Gone.-]\n\n{+Fresh text entirely.+}\n"
    coloured = words(diff("Take one tablet daily.", "Take two tablets daily."), color=True)
    assert coloured == "Take \x1b[31m[-one tablet-]\x1b[0m\x1b[32m{+two tablets+}\x1b[0m daily.\n"


def test_json_round_trips():
    new = OLD.replace("4 days", "5 days") + "\n\n" + HOSTILE
    ops = diff(OLD, new)
    doc = json.loads(to_json(ops, url="https://example.org/measles", version=3))
    assert doc["meta"] == {"url": "https://example.org/measles", "version": 3}
    assert doc["stats"] == stats(ops)
    loaded = [dict(op, words=[tuple(w) for w in op["words"]]) if "words" in op else op for op in doc["ops"]]
    assert loaded == ops
    # Renderers accept the decoded form as-is (word pairs as lists).
    assert html_inline(doc["ops"]) == html_inline(ops)
    assert words(doc["ops"]) == words(ops)


@pytest.mark.parametrize("render", [html_inline, html_side_by_side])
def test_html_escapes_hostile_text_everywhere(render):
    old = f"{HOSTILE}\n\nKept {HOSTILE}\n\nEdited {HOSTILE} here.\n\nDropped {HOSTILE}\n\n" + "\n\n".join(
        f"Filler {n} {HOSTILE}" for n in range(6)
    )
    new = (
        f"{HOSTILE}\n\nKept {HOSTILE}\n\nEdited {HOSTILE} <b>now</b>.\n\n"
        + "\n\n".join(f"Filler {n} {HOSTILE}" for n in range(6))
        + f"\n\nAdded <script>x()</script> {HOSTILE}"
    )
    out = render(diff(old, new))
    assert "<img" not in out and "<script" not in out and "<b>" not in out
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;" in out
    assert "&lt;script&gt;" in out and "&lt;b&gt;now&lt;/b&gt;" in out


def test_html_inline_structure_and_collapsing():
    body = [f"Paragraph number {n} about hand washing." for n in range(10)]
    new = body[:5] + ["Paragraph number 5 about hand hygiene."] + body[6:]
    out = html_inline(diff("\n\n".join(body), "\n\n".join(new)))
    assert out.startswith('<div class="ha-diff ha-inline">') and out.endswith("</div>")
    assert ('<p class="ha-chg">Paragraph number 5 about hand <del>washing.</del><ins>hygiene.</ins></p>') in out
    # 5 unchanged before the change: 1 kept as context, 4 folded (expandable, text still present).
    assert '<details class="ha-skip"><summary>… 4 unchanged paragraphs …</summary>' in out
    assert out.count('<p class="ha-eq">') == 9
    assert "<summary>… 3 unchanged paragraphs …</summary>" in out


def test_html_inline_whole_block_classes():
    out = html_inline(diff("Same.\n\nOld one.", "Same.\n\nNew block of text."))
    assert '<p class="ha-eq">Same.</p>' in out
    assert '<p class="ha-del"><del>Old one.</del></p>' in out
    assert '<p class="ha-ins"><ins>New block of text.</ins></p>' in out


def test_html_side_by_side_columns():
    out = html_side_by_side(
        diff("Same.\n\nTake one tablet daily.\n\nOld one.", "Same.\n\nTake two tablets daily.\n\nNew block of text.")
    )
    assert out.startswith('<table class="ha-diff ha-sbs">') and out.endswith("</table>")
    assert (
        '<tr class="ha-chg"><td class="ha-old">Take <del>one tablet</del> daily.</td>'
        '<td class="ha-new">Take <ins>two tablets</ins> daily.</td></tr>'
    ) in out
    assert '<tr class="ha-del"><td class="ha-old"><del>Old one.</del></td><td class="ha-new"></td></tr>' in out
    assert (
        '<tr class="ha-ins"><td class="ha-old"></td><td class="ha-new"><ins>New block of text.</ins></td></tr>' in out
    )


def test_whitespace_only_change_keeps_each_side_intact():
    ops = diff("Wash  your hands.", "Wash your hands.")
    (op,) = ops
    assert op["op"] == "replace" and rebuild(op, "old") == op["old"]
    assert stats(ops)["words_added"] == stats(ops)["words_removed"] == 0
    assert words(ops) == "Wash your hands.\n"
    assert '<td class="ha-old">Wash  your hands.</td><td class="ha-new">Wash your hands.</td>' in html_side_by_side(ops)


def test_every_paragraph_lightly_edited_pairs_in_order():
    old = [f"Paragraph {n}: adults should get {n} hours of sleep and drink water daily." for n in range(30)]
    new = [p.replace("water", "fluids") for p in old]
    ops = diff("\n\n".join(old), "\n\n".join(new))
    assert [(op["op"], op["old"], op["new"]) for op in ops] == [("replace", o, n) for o, n in zip(old, new)]
