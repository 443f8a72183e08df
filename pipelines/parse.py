"""HTML parsers for the cleaning workers: lxml.html's element classes, found in C.

lxml.html's own parsers find the class of each element (``HtmlElementClassLookup.lookup``) by a Python call each time
Python code touches an element, a few thousand times a page (4-5% of a page's cleaning). A parser of ``parser()``
gives every element the plain ``HtmlElement`` (its methods: ``text_content``, ``drop_tree`` ...) by lxml's own C
lookup, and comments, processing instructions and entities their lxml.html classes, as lxml.html does. What it does
not give: the form classes (``FormElement``, ``InputElement`` ...: their ``fields``, ``value`` ...), which neither
the cleaning nor trafilatura nor htmldate uses. The tree is the same; copies of it (trafilatura's) keep the parser.
"""

from lxml.etree import ElementDefaultClassLookup
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HTMLParser, HtmlProcessingInstruction

_CLASSES = ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
)


def parser(**options) -> HTMLParser:
    """An ``lxml.html.HTMLParser(**options)`` whose element classes lxml finds in C."""
    found = HTMLParser(**options)
    found.set_element_class_lookup(_CLASSES)
    return found
