"""Page chrome that changes from round to round: teasers, ads, promos, timestamps.

Every pool is split into three shares and each round draws only from its own share
(rounds 1, 2 and 3 use different shares), so no chrome string of one round shows up
anywhere on the site in the next: a cleaner cannot learn round 2's clutter from
round 1. Within a round, articles draw different items from the round's share.
"""

import zlib

VIDEOS = [
    (
        "Video: What to expect from chemotherapy",
        "An oncology nurse walks you through a first infusion day, from the blood draw to the drive home.",
    ),
    (
        "Video: Questions to ask after a diagnosis",
        "A breast surgeon explains which answers matter most in the first week after hearing the news.",
    ),
    (
        "Video: How a sentinel node biopsy works",
        "See how surgeons find the first lymph node a tumor drains into, using a tracer and a small probe.",
    ),
    (
        "Video: Living well during radiation",
        "Patients share the small routines that helped them get through six weeks of daily sessions.",
    ),
    (
        "Video: Eating well on chemo days",
        "A dietitian cooks three simple meals that are easy on the stomach and quick to make.",
    ),
    (
        "Video: Talking to your kids about cancer",
        "A child psychologist suggests words that fit each age, from toddlers to teenagers.",
    ),
]

RECOMMENDED = [
    (
        "Breast Cancer: Resources",
        "The American Cancer Society has information on breast cancer and most other types of cancer, and "
        "this link will take you to the organization's web site.",
    ),
    (
        "Finding Support Groups",
        "Talking with others who have been through diagnosis can ease the loneliness many women describe in "
        "the first months, and local hospitals often host free meetings.",
    ),
    (
        "Paying for Cancer Care",
        "Treatment bills can pile up quickly, but hospital financial counselors know which assistance "
        "programs you may qualify for before the first statement arrives.",
    ),
    (
        "Fertility Before Treatment",
        "Some cancer drugs can affect your ability to have children, so younger women may want to talk "
        "with a fertility specialist before starting therapy.",
    ),
    (
        "Nutrition Tips for Patients",
        "Eating well during treatment helps your body heal, and a dietitian can suggest easy meals for the "
        "days when food has little appeal.",
    ),
    (
        "Going Back to Work",
        "Many people return to their jobs during or after treatment, and a flexible schedule agreed early "
        "with your employer can make the change much smoother.",
    ),
]

PROMOS = [
    ("Breast cancer at a glance", "From mammograms to living after treatment."),
    ("Dealing with breast cancer", "Get answers to your questions."),
    ("Self-exam tips", "The 3 latest tips to know."),
    ("Abnormal mammogram?", "Most abnormalities are not breast cancer."),
    ("Resolved to quit smoking", "Small steps that keep you on track."),
    ("Treatments improving", "What the newest studies found."),
    ("Screening tests for women", "Which ones you need, and when."),
    ("Pink ribbon month", "Ways to support the cause this fall."),
    ("What is your cancer risk?", "Take our five-minute assessment."),
    ("Survivor stories", "Women share what helped them most."),
    ("Sleep and cancer", "Why rest is harder and what helps."),
    ("Caregiver corner", "Looking after yourself while you help."),
]

POPULAR = [
    "10 Foods That May Lower Inflammation",
    "Is It a Cold or the Flu?",
    "Slideshow: Vitamin D Myths",
    "Quiz: How Much Do You Know About Sleep?",
    "Signs of Dehydration in Adults",
    "Best Stretches for Back Pain",
    "Heartburn or Heart Attack?",
    "What Your Nails Say About Your Health",
    "Slideshow: Hidden Sources of Sugar",
    "7 Habits That Age Your Skin",
    "Allergy or Sinus Infection?",
    "Quiz: Test Your Vitamin IQ",
]

ADS = [
    "Sponsored: Compare Medicare Advantage plans in your area before open enrollment closes.",
    "Sponsored: Ask your doctor whether a once-daily pill could fit your treatment plan.",
    "Sponsored: New wig collections designed with oncology nurses, shipped free.",
    "Sponsored: Find a clinical trial near you in less than two minutes.",
    "Sponsored: Compression sleeves for lymphedema, now covered by many plans.",
    "Sponsored: Meal kits built for people going through chemotherapy.",
    "Sponsored: Gentle skin care made for sensitive, treated skin.",
    "Sponsored: Talk to a licensed therapist online this week.",
    "Sponsored: Mastectomy bras in every size, delivered discreetly.",
    "Sponsored: Track symptoms and medicines with one free app.",
    "Sponsored: Second opinions from leading cancer centers, by video.",
    "Sponsored: Cooling caps that may reduce hair loss during chemo.",
]

NEWSLETTERS = [
    "Get the latest breast cancer treatment news delivered to your inbox every week.",
    "Sign up for our free Breast Cancer newsletter with expert tips and survivor stories.",
    "Join 200,000 readers who get our weekly cancer care newsletter.",
]

COOKIES = [
    "We use cookies to improve your experience and to show you relevant ads. Our cookie policy was updated on March 1.",
    "This site uses cookies for analytics and personalized content. Our cookie policy was updated on April 12.",
    "Cookies help us deliver our services and measure traffic. Our cookie policy was updated on May 20.",
]

# Fixed labels that appear on every page of every round.
LABELS = [
    "Skip to content",
    "Font Size",
    "Recommended Related to",
    "Read the",
    "Advertisement",
    "Today on WebMD",
    "Most Popular",
    "(continued)",
    "Next Page",
    "Prev Page",
    "Continue Reading",
    "Previous",
    "Facebook",
    "Twitter",
    "Pinterest",
    "Email",
    "Print",
    "Reviewed by",
    "minutes ago",
    "Subscribe",
    "Accept Cookies",
    "Health Essentials",
    "Related Articles",
    "Learn more about our editorial process",
    "Privacy Policy",
    "Our Sponsors",
    "does not provide medical advice",
    "HealthCenter Medical Reference",
    "Locations:",
    "Advertising on our site helps support our mission",
]


def _h(*parts):
    return zlib.crc32(":".join(map(str, parts)).encode())


def share(pool, seed, round):
    """The third of pool that belongs to this round."""
    return pool[(round + _h(seed, len(pool))) % 3 :: 3]


def pick(pool, seed, round, *slot):
    """One item of the round's share of pool for a slot."""
    items = share(pool, seed, round)
    return items[_h(seed, *slot) % len(items)]


def pick_many(pool, k, seed, round, *slot):
    """k different items of the round's share of pool for a slot."""
    items = share(pool, seed, round)
    start = _h(seed, *slot)
    return [items[(start + i) % len(items)] for i in range(k)]


def minutes_ago(seed, round, *slot):
    # The residue mod 3 encodes the round, so timestamps never repeat across rounds either.
    return 3 * (_h(seed, *slot) % 19) + (round + _h(seed)) % 3 + 1


class Chrome:
    """The chrome of one round, as the templates need it."""

    def __init__(self, seed, round):
        self.seed, self.round = seed, round

    def video(self, slug):
        return pick(VIDEOS, self.seed, self.round, "video", slug)

    def recommended(self, slug, page):
        return pick(RECOMMENDED, self.seed, self.round, "rec", slug, page)

    def ad(self, slot):
        return pick_many(ADS, len(AD_SLOTS), self.seed, self.round, "ad")[AD_SLOTS.index(slot)]

    def promos(self):
        return pick_many(PROMOS, 4, self.seed, self.round, "promo")

    def popular(self):
        return pick_many(POPULAR, 4, self.seed, self.round, "popular")

    def newsletter(self):
        return pick(NEWSLETTERS, self.seed, self.round, "newsletter")

    def cookie(self):
        return pick(COOKIES, self.seed, self.round, "cookie")

    def updated(self, slot):
        return f"Updated {minutes_ago(self.seed, self.round, 'upd', slot)} minutes ago"

    def strings(self, slugs, pages):
        """Every round-specific chrome string the site can show for these articles (of up to `pages` pages)."""
        out = [self.newsletter(), self.cookie()]
        out += [s for promo in self.promos() for s in promo] + self.popular()
        out += [self.ad(slot) for slot in AD_SLOTS]
        for slug in slugs:
            out += list(self.video(slug)) + [self.updated(slug)]
            out += [s for p in range(1, pages + 1) for s in self.recommended(slug, p)]
        return list(dict.fromkeys(out))


# Ad slots used by the templates; chrome.strings() needs them all.
AD_SLOTS = ("top", "body", "body2", "side")
