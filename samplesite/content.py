"""Article texts of the sample breast-cancer center and the scripted round changes.

Pages are written in a tiny markup: a blank line separates blocks, ``## `` starts a
heading, ``- `` starts a list item (consecutive items form one list) and
``[text](href)`` is an inline link. Everything else is a paragraph.
"""

import re
from dataclasses import dataclass, replace

LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


@dataclass(frozen=True)
class Block:
    """One piece of article text: kind is "h2", "h3", "p" or "ul" (then items holds the entries)."""

    kind: str
    text: str = ""
    items: tuple = ()

    def plain(self):
        """The texts a perfect extractor keeps for this block, links reduced to their text."""
        texts = self.items if self.kind == "ul" else (self.text,)
        return [LINK.sub(r"\1", t) for t in texts]


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    summary: str
    layout: str  # "classic" (WebMD health center) or "modern" (Cleveland Clinic style)
    pagination: str  # "single", "page-param", "link-next", "a-next" or "path"
    pages: tuple  # tuple of tuples of Block
    canonical: bool
    author: str
    reviewer: str
    reviewed: str

    def blocks(self):
        return [t for page in self.pages for b in page for t in b.plain()]


def parse(text):
    """Turn the page markup into a tuple of Blocks."""
    blocks = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in chunk.strip().splitlines()]
        if lines[0].startswith("- "):
            blocks.append(Block("ul", items=tuple(line[2:] for line in lines)))
        elif lines[0].startswith("### "):
            blocks.append(Block("h3", " ".join(lines)[4:]))
        elif lines[0].startswith("## "):
            blocks.append(Block("h2", " ".join(lines)[3:]))
        else:
            blocks.append(Block("p", " ".join(lines)))
    return tuple(blocks)


def article(
    slug,
    title,
    summary,
    layout,
    pagination,
    pages,
    canonical=True,
    author="Kara Mayer Robinson",
    reviewer="Nazia Q. Bandukwala, DO",
    reviewed="March 02, 2026",
):
    return Article(
        slug, title, summary, layout, pagination, tuple(parse(p) for p in pages), canonical, author, reviewer, reviewed
    )


OVERVIEW = article(
    "breast-cancer-overview",
    "Breast Cancer Overview",
    "What breast cancer is, how it starts and who gets it.",
    "classic",
    "single",
    [
        """
Breast cancer happens when cells in the breast begin to grow out of control and form a lump or mass
called a tumor. Most breast cancers begin in the ducts that carry milk to the nipple, and some begin
in the glands that make milk.

Not every lump is cancer. Many breast lumps are benign, which means they are not cancer and do not
spread outside the breast, but any new lump should be checked by a doctor.

## Who Gets Breast Cancer?

Breast cancer is the most common cancer in women after skin cancer. Men can get it too, although it
is rare. Your chances go up as you get older, and most cases are found in women over 50.

## Common Signs

Many women have no symptoms at all when the disease is found on a screening test. When signs do
appear, they can include:

- A new lump in the breast or underarm
- Thickening or swelling of part of the breast
- Dimpling or irritation of the breast skin
- Nipple discharge other than breast milk
- Pain or redness in the nipple area

These changes can have other causes, so your doctor will usually order an imaging test and sometimes
a biopsy to find out what is going on.
"""
    ],
)

METASTATIC = article(
    "metastatic-breast-cancer",
    "Life With Metastatic Breast Cancer",
    "Living well with stage IV breast cancer, and how treatment works.",
    "classic",
    "page-param",
    [
        """
Being told you have metastatic (stage IV) breast cancer is a lot to take in. It means your cancer has
spread to other parts of your body. There is no cure, but your doctor has ways to slow the disease's
growth. You might live for many more years.

Thanks to better treatments, people are living longer than ever.

To manage your treatment and life on your own terms, learn about the disease and what to expect.

## What Is Different About Metastatic Treatment?

When you have early-stage cancer, your treatment is short-term and focused on a cure.

With stage IV breast cancer, some form of treatment will be a part of your life from now on. The goal
is to slow the disease's growth for as long as possible, with the least amount of side effects or pain.
""",
        """
## How Is It Treated?

The options your doctor recommends for you will depend on:

- Where in your body you now have cancer
- The kind of cancer cells you have
- Your symptoms
- Breast cancer treatments you have had in the past
- Your general health and age

That decision is up to you. Doctors will offer you choices based on your unique situation. Most people
try several treatments over the years, one after another, as the cancer changes.

Hormone therapy is often the first choice when the cancer is fueled by estrogen or progesterone.
""",
        """
## Coping Day to Day

Many people with metastatic breast cancer keep working, travel and spend time with family. Planning
treatment around the things that matter to you is part of good care.

Talk with your care team about pain, fatigue and mood. These problems can be treated, and easing them
often makes it easier to stick with the rest of your treatment.

- Keep a notebook of questions for each visit
- Bring a friend or relative to appointments
- Ask about palliative care early, not only at the end
""",
    ],
)

# The sentence edited in round 2 (and restored in round 3) on page 2 of METASTATIC.
OLD_SENTENCE = "Hormone therapy is often the first choice when the cancer is fueled by estrogen or progesterone."
NEW_SENTENCE = (
    "Hormone therapy, often paired with a targeted drug, is usually the first choice when the cancer"
    " is fueled by estrogen or progesterone."
)

SCREENING = article(
    "mammograms-screening",
    "Mammograms and Breast Cancer Screening",
    "When to start mammograms, what happens during the test and what the results mean.",
    "classic",
    "link-next",
    [
        """
A mammogram is an X-ray picture of the breast. Doctors use it to look for early signs of breast
cancer, sometimes years before a lump can be felt.

## When Should You Start?

Most expert groups now advise women at average risk to begin regular mammograms at age 40 and to repeat
them every one or two years. If breast cancer runs in your family, your doctor may suggest starting
earlier.
""",
        """
## What Happens During the Test

You will undress from the waist up and stand in front of the machine. A technologist places one breast
at a time on a plastic plate, and another plate presses it flat for a few seconds while the picture is
taken.

The pressure can be uncomfortable, but it spreads the tissue out so small changes are easier to see and
the dose of radiation stays low.

- Schedule the test for the week after your period, when breasts are less tender
- Skip deodorant and powder that day, since they can show up on the image
- Bring your earlier mammograms if you had them somewhere else
""",
        """
## Understanding Your Results

Most mammograms are normal. If something looks unclear, you may be called back for more pictures or an
ultrasound. Being called back is common and usually does not mean you have cancer.

A radiologist sorts each result into a category that tells your doctor how likely a problem is and
what should happen next.
""",
    ],
)

# The page added to SCREENING from round 2 on.
SCREENING_NEW_PAGE = """
## Dense Breasts and 3-D Mammograms

About half of women over 40 have dense breast tissue, which can hide a tumor on a standard mammogram.
Your report will say whether your breasts are dense.

A 3-D mammogram, also called tomosynthesis, takes many thin pictures from different angles. It finds a
few more cancers and leads to fewer callbacks in women with dense breasts.
"""

CHEMO = article(
    "chemotherapy-side-effects",
    "Managing Chemotherapy Side Effects",
    "Practical ways to handle nausea, fatigue, hair loss and infections during chemo.",
    "modern",
    "a-next",
    [
        """
Chemotherapy uses strong drugs to kill fast-growing cancer cells. Because some healthy cells also grow
quickly, the drugs can cause side effects. Most of them go away after treatment ends.

## Nausea and Vomiting

Today's anti-nausea medicines work well. Take them exactly as prescribed, even on days when you feel
fine, because it is easier to prevent nausea than to stop it.

- Eat small meals five or six times a day
- Sip clear, cold drinks between meals
- Avoid greasy, spicy or very sweet foods
""",
        """
## Fatigue

Feeling tired is the most common side effect of chemo. It can build up over the course of treatment
and last for weeks after it ends.

Short walks and light activity often help more than rest alone. Plan important tasks for the time of
day when you usually have the most energy.
""",
        """
## Hair Loss

Many, but not all, chemo drugs cause hair loss. It usually starts two to three weeks after the first
treatment. Your hair will most likely grow back a few months after you finish.

## Infections

Chemo can lower your white blood cell count. Call your doctor right away if you have a fever of
100.4 F or higher, chills, or a cough that will not go away.
""",
    ],
)

TREATMENT = article(
    "treatment-options-guide",
    "Breast Cancer Treatment Options",
    "A step-by-step guide to surgery, radiation, chemotherapy, hormone therapy and targeted drugs.",
    "modern",
    "path",
    [
        """
Treatment for breast cancer depends on the type of cancer, its stage and your own preferences. Most
people get more than one kind of treatment.

This guide walks through the main choices so you can talk them over with your care team.
""",
        """
## Surgery

Surgery removes the tumor. In a lumpectomy, the surgeon takes out the cancer and a rim of healthy
tissue. In a mastectomy, the whole breast is removed.

Your surgeon will also check nearby lymph nodes to see whether the cancer has spread.
""",
        """
## Radiation Therapy

Radiation uses high-energy beams to destroy cancer cells that may remain after surgery. Most women who
have a lumpectomy get radiation afterward.

- Sessions take only a few minutes
- Treatment usually runs five days a week for three to six weeks
- The skin in the treated area may turn red, like a sunburn
""",
        """
## Drug Treatments

Chemotherapy, hormone therapy and targeted therapy travel through the bloodstream to reach cancer
cells throughout the body. They may be given before surgery to shrink a tumor or after surgery to
lower the chance it comes back.

Tests on your tumor tissue help your doctor decide which of these drugs are likely to work for you.
""",
        """
## Clinical Trials

Clinical trials test new treatments. Taking part can give you access to care that is not yet widely
available. Ask your doctor whether a trial might be a good fit.

## Follow-Up Care

After treatment, you will have regular checkups and mammograms. Tell your doctor about any new symptoms
between visits.
""",
    ],
)

HORMONE = article(
    "hormone-therapy",
    "Hormone Therapy for Breast Cancer",
    "How tamoxifen and aromatase inhibitors block the hormones some cancers need.",
    "modern",
    "single",
    [
        """
About two out of three breast cancers are hormone receptor-positive. Their cells have receptors that
use estrogen or progesterone to grow. Hormone therapy blocks those hormones or lowers how much your
body makes.

## Common Medicines

- Tamoxifen, which blocks estrogen from attaching to cancer cells
- Aromatase inhibitors such as anastrozole, letrozole and exemestane
- Ovarian suppression for women who have not reached menopause

Most people take hormone therapy as a daily pill for five to ten years after their other treatment
ends. Hot flashes, joint aches and vaginal dryness are common side effects.
"""
    ],
    canonical=False,
)

RECONSTRUCTION = article(
    "breast-reconstruction",
    "Breast Reconstruction After Mastectomy",
    "Implants, flap surgery and how to decide whether reconstruction is right for you.",
    "classic",
    "page-param",
    [
        """
Breast reconstruction is surgery to rebuild the shape of the breast after a mastectomy. It is a
personal choice, and some women decide to wear a breast form or go flat instead.

Reconstruction can be done at the same time as the mastectomy or months or years later.
""",
        """
## Implants

An implant is a silicone or saline shell placed under the skin or chest muscle. Many women first have
a tissue expander that is slowly filled over several weeks to stretch the skin.
""",
        """
## Flap Procedures

In a flap procedure, the surgeon moves tissue from your belly, back, thighs or buttocks to form a new
breast. Recovery takes longer than with implants, but the result feels more natural and changes with
your weight.
""",
    ],
    canonical=False,
)

SURVIVORSHIP = article(
    "life-after-treatment",
    "Life After Breast Cancer Treatment",
    "Follow-up visits, late effects and getting back to everyday life.",
    "modern",
    "single",
    [
        """
Finishing treatment is a milestone, but many people find the months afterward harder than they
expected. It is normal to feel relief and worry at the same time.

## Your Follow-Up Plan

Ask your oncologist for a written survivorship care plan. It should list the treatments you had, the
tests you will need and the signs that should prompt a call.

- A physical exam every three to six months for the first few years
- A mammogram once a year
- Bone density tests if you take an aromatase inhibitor
"""
    ],
    canonical=False,
)

# Appears on the hub from round 2 on.
EXERCISE = article(
    "exercise-during-treatment",
    "Exercise During Breast Cancer Treatment",
    "Why staying active helps and how to start safely.",
    "classic",
    "single",
    [
        """
Regular physical activity can ease fatigue, lift your mood and help you keep your strength during
treatment. Research also links it to a lower chance of the cancer coming back.

## Getting Started Safely

Check with your doctor before you begin, especially if you have had surgery on your lymph nodes or
your blood counts are low.

- Start with ten minutes of walking and add a few minutes each week
- Add light strength training twice a week
- Rest on days when you feel very weak
"""
    ],
)

# Only with hostile=True: literal markup inside the text, for escaping tests.
HOSTILE = article(
    "pathology-report",
    "How to Read Your Pathology Report",
    "Understanding the words on your biopsy results.",
    "classic",
    "single",
    [
        """
Your pathology report describes the tissue removed during a biopsy or surgery. It is written for
doctors, so do not hesitate to ask your care team to explain it.

Some patient portals show raw markup such as <img src=x onerror=alert(1)> when a report is copied from
another system; this is a display glitch and not part of your results.

The report lists the tumor grade, its size and whether hormone receptors & HER2 are present.
"""
    ],
)

HOSTILE_OLD = "The report lists the tumor grade, its size and whether hormone receptors & HER2 are present."
HOSTILE_NEW = (
    "The report lists the tumor grade, its size, the margins and whether hormone receptors & HER2 are present."
)

ROUND1 = (OVERVIEW, METASTATIC, SCREENING, CHEMO, TREATMENT, HORMONE, RECONSTRUCTION, SURVIVORSHIP)

SCENARIO = {
    "edited": METASTATIC.slug,
    "edited_page": 2,
    "old_sentence": OLD_SENTENCE,
    "new_sentence": NEW_SENTENCE,
    "grown": SCREENING.slug,
    "removed": RECONSTRUCTION.slug,
    "added": EXERCISE.slug,
    "failing": CHEMO.slug,
    "failing_page": 2,
}


def _edit(art, page, old, new):
    pages = list(art.pages)
    pages[page - 1] = tuple(replace(b, text=b.text.replace(old, new)) for b in pages[page - 1])
    return replace(art, pages=tuple(pages))


def articles_for(round, hostile=False):
    """The sample articles published in a round, in hub order."""
    arts = list(ROUND1) + ([HOSTILE] if hostile else [])
    if round < 2:
        return arts
    out = []
    for art in arts:
        if art is RECONSTRUCTION:
            continue
        if art is METASTATIC and round == 2:
            art = _edit(art, 2, OLD_SENTENCE, NEW_SENTENCE)
        elif art is SCREENING:
            art = replace(art, pages=art.pages + (parse(SCREENING_NEW_PAGE),))
        elif art is HOSTILE:
            art = _edit(art, 1, HOSTILE_OLD, HOSTILE_NEW)
        out.append(art)
    out.insert(1, EXERCISE)
    return out


def removed_for(round):
    """Articles that existed once and now answer 404."""
    return [RECONSTRUCTION] if round >= 2 else []
