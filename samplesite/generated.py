"""Synthetic articles for the large benchmark center, built on demand from a seed.

Article i is a pure function of (seed, i, pages), so nothing is pre-rendered and any
page can be served in isolation.
"""

import random
from functools import lru_cache

from .content import Article, Block

TOPICS = [
    "fatigue",
    "lymphedema",
    "bone health",
    "hot flashes",
    "sleep problems",
    "neuropathy",
    "scar care",
    "nutrition",
    "fertility",
    "anxiety",
    "returning to work",
    "memory changes",
    "skin care",
    "joint pain",
    "heart health",
    "weight changes",
    "intimacy",
    "caregiving",
    "genetic counseling",
    "follow-up scans",
]
ASPECTS = ["A Patient Guide to", "Understanding", "Coping With", "Questions About", "Managing", "What to Know About"]
HEADINGS = [
    "Why It Happens",
    "What You Can Do",
    "When to Call Your Doctor",
    "Treatment Choices",
    "Tips From Nurses",
    "What Research Shows",
    "Talking With Your Care Team",
    "Everyday Habits",
]
OPENERS = [
    "Many people notice {t} during or after breast cancer treatment.",
    "{T} is one of the concerns patients raise most often at follow-up visits.",
    "Doctors now pay closer attention to {t} than they did a decade ago.",
    "For some women, {t} starts months after the last treatment session.",
]
SENTENCES = [
    "Keeping a simple diary for {n} weeks can show patterns your doctor may miss.",
    "Small changes, repeated every day, often help more than one large change.",
    "Your care team can refer you to a specialist who sees these problems every week.",
    "About {n} in 100 patients in one survey said the problem eased within a year.",
    "It helps to bring a written list of questions to each appointment.",
    "Some medicines used for other conditions can also ease {t}.",
    "Family members may notice changes before you do, so ask them what they see.",
    "Gentle exercise such as walking or swimming is safe for most people.",
    "Write down which days are hardest and what you ate, did and felt.",
    "Support groups give you a place to compare notes with people who understand.",
    "Insurance plans usually cover a visit with a therapist for {t}.",
    "The problem rarely means that the cancer has come back, but it is worth checking.",
    "Nurses often know practical tricks that never make it into pamphlets.",
    "Ask whether a change in the timing of your pills could help with {t}.",
    "A physical therapist can design a program that fits your energy level.",
    "Drinking enough water and eating regular meals supports recovery.",
]
ITEMS = [
    "Rest when you need to, but stay gently active",
    "Ask about medicines that may help",
    "Keep track of your symptoms",
    "Bring a friend to appointments",
    "Eat small, regular meals",
    "Tell your doctor about new pain",
    "Protect your skin from the sun",
    "Limit alcohol",
    "Plan demanding tasks for your best hours",
    "Ask for a referral to a specialist",
]
KINDS = ["page-param", "a-next", "path", "link-next"]


def slug(i):
    topic = TOPICS[i % len(TOPICS)].replace(" ", "-")
    return f"{topic}-guide-{i}"


def title(i):
    topic = TOPICS[i % len(TOPICS)].title()
    return f"{ASPECTS[(i // len(TOPICS)) % len(ASPECTS)]} {topic}: Guide {i + 1}"


def summary(i):
    return f"Information and practical advice about {TOPICS[i % len(TOPICS)]}."


@lru_cache(maxsize=4096)  # the pages of one article are usually fetched together
def article(i, pages, seed=0):
    """Synthetic article number i with the given page count."""
    rng = random.Random(f"{seed}-{i}")
    topic = TOPICS[i % len(TOPICS)]

    def sentence(pool):
        return rng.choice(pool).format(t=topic, T=topic.capitalize(), n=rng.randint(2, 40))

    def paragraph(first=False):
        parts = [sentence(OPENERS)] if first else []
        parts += [sentence(SENTENCES) for _ in range(rng.randint(2, 4))]
        return Block("p", " ".join(parts))

    body = []
    for p in range(pages):
        blocks = [paragraph(first=p == 0)] if p == 0 else []
        blocks.append(Block("h2", rng.choice(HEADINGS)))
        blocks += [paragraph() for _ in range(rng.randint(2, 3))]
        if rng.random() < 0.5:
            blocks.append(Block("ul", items=tuple(rng.sample(ITEMS, rng.randint(3, 5)))))
        body.append(tuple(blocks))
    kind = "single" if pages == 1 else KINDS[i % len(KINDS)]
    return Article(
        slug(i),
        title(i),
        summary(i),
        "modern" if i % 3 == 2 else "classic",
        kind,
        tuple(body),
        i % 2 == 0,
        "HealthCenter Staff",
        "Brunilda Nazario, MD",
        "January 15, 2026",
    )


def index_of(slug_):
    """Article number from a generated slug, or None."""
    num = slug_.rpartition("-guide-")[2]
    if not num.isdigit() or slug(int(num)) != slug_:
        return None
    return int(num)
