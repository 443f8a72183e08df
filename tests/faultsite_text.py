"""Texts of the fault-injection site (tests/faultsite.py): articles, chrome pools, error and spam pages.

Article pages are written in a tiny markup: a blank line separates blocks and ``## `` starts a heading;
everything else is a paragraph. ``{EDIT}`` marks the sentence that changes from round to round (EDITS).
Straight apostrophes become typographic ones (as a CMS would do), so nearly every page holds non-ASCII
text; every byline also names a reviewer with an accented name.
"""

ARTICLES = [
    {
        "path": "/center/article-1",
        "title": "High Blood Pressure: The Basics",
        "summary": "What the two numbers mean, why hypertension matters and how to bring it down.",
        "author": "Maria Okafor",
        "reviewer": "Hélène Dubois, MD",
        "reviewed": "2026-02-11",
        "pages": [
            """
Blood pressure is the force of blood pushing against the walls of your arteries each time your heart
beats. It is written as two numbers: the top number, systolic pressure, is measured while the heart
contracts, and the bottom number, diastolic pressure, is measured while it rests between beats.

High blood pressure, or hypertension, usually causes no symptoms at all. Many people learn they have it
only during a routine visit, which is why doctors check it at almost every appointment and why a home
monitor can be so useful.

## What the Numbers Mean

A reading below 120/80 mm Hg is considered normal. Readings from 120 to 129 systolic with a diastolic
below 80 are called elevated, and readings of 130/80 or higher on repeated measurements are classed as
hypertension.

One high reading does not mean you have the condition. Pressure rises with stress, caffeine, a full
bladder or even the walk from the waiting room, so your doctor will want several readings taken on
different days before making a diagnosis.

## Why It Matters

Over the years, uncontrolled pressure strains the heart and damages the lining of blood vessels. That
damage raises the risk of heart attack, stroke, kidney disease and vision loss, and it can quietly
contribute to memory problems later in life.

## What You Can Do

Cutting back on salt, staying active for at least 150 minutes a week, limiting alcohol and keeping a
healthy weight can each lower systolic pressure by several points. When lifestyle changes are not
enough, medicines such as ACE inhibitors, calcium channel blockers or thiazide diuretics are safe and
effective for most people.
"""
        ],
    },
    {
        "path": "/center/article-2",
        "title": "Living With Type 2 Diabetes",
        "summary": "How type 2 diabetes is diagnosed and the daily habits that keep blood sugar in range.",
        "author": "Daniel Reyes",
        "reviewer": "José Núñez, MD",
        "reviewed": "2026-01-28",
        "pages": [
            """
Type 2 diabetes develops when the body stops responding well to insulin, the hormone that moves sugar
from the blood into cells, and the pancreas can no longer make enough extra insulin to keep up. Sugar
then builds up in the bloodstream, where over time it harms nerves, blood vessels, the kidneys and the
eyes.

The condition often develops slowly. Increased thirst, frequent urination, blurred vision and cuts that
heal slowly are common early signs, but many people have no symptoms and are diagnosed after a routine
blood test.

## How It Is Diagnosed

Doctors usually rely on the A1C test, which reflects your average blood sugar over the past two to three
months. An A1C of 6.5% or higher on two separate tests confirms diabetes, while a result between 5.7% and
6.4% is called prediabetes.

A fasting plasma glucose test or an oral glucose tolerance test may be used instead, particularly during
pregnancy or when the A1C result does not match a person's symptoms.
""",
            """
## Managing Blood Sugar Day to Day

{EDIT}

Metformin is usually the first medicine prescribed. If it is not enough on its own, newer drugs such as
SGLT2 inhibitors and GLP-1 receptor agonists can lower blood sugar and also protect the heart and kidneys
in people at high risk.

## Food and Activity

There is no single diabetes diet. Most dietitians suggest filling half the plate with non-starchy
vegetables, a quarter with lean protein and a quarter with whole grains, and spreading carbohydrates
evenly through the day instead of saving them for one large meal.

A brisk walk after dinner can lower blood sugar for hours. Regular activity makes muscles more sensitive
to insulin, and even modest weight loss of five to seven percent of body weight improves control for
many people.

## Protecting Your Feet and Eyes

Check your feet every day for blisters, cuts or color changes, because nerve damage can make small
injuries easy to miss. A dilated eye exam once a year lets an eye doctor spot changes in the retina long
before they affect your vision.
""",
        ],
    },
    {
        "path": "/center/article-3",
        "title": "Asthma in Adults",
        "summary": "Symptoms, common triggers, the tests doctors use and how an action plan keeps you breathing easy.",
        "author": "Priya Natarajan",
        "reviewer": "Zoë Brennan, MD",
        "reviewed": "2026-02-03",
        "pages": [
            """
Asthma is a long-term condition in which the airways of the lungs become inflamed and narrow, making it
harder to move air in and out. During a flare-up the muscles around the airways tighten, the lining
swells and extra mucus clogs the smaller tubes.

Although asthma often begins in childhood, it can start at any age. Adult-onset asthma is more common in
women, in people who are overweight and in those who work around dust, fumes or chemicals.

## Common Symptoms

Wheezing, a tight feeling in the chest, shortness of breath and a cough that is worse at night or early
in the morning are the classic signs. Some people have only a persistent dry cough, a pattern doctors
call cough-variant asthma.

Symptoms tend to come and go. You may feel perfectly well for weeks and then have a rough night after a
cold, a smoky room or a sudden change in the weather.
""",
            """
## Finding Your Triggers

Triggers differ from person to person. Pollen, dust mites, mold, pet dander, cigarette smoke, cold air,
exercise and respiratory infections are among the most frequent, and a few people react to aspirin or
other anti-inflammatory painkillers.

Keeping a simple diary of when symptoms flare can reveal patterns you might otherwise miss. Note the
place, the time of day, what you were doing and whether you had been near animals, cleaning products or
a wood fire.

## Tests Your Doctor May Order

Spirometry measures how much air you can blow out and how fast. The test is usually repeated after you
inhale a bronchodilator; a clear improvement suggests asthma rather than another lung disease.

A peak flow meter is a small handheld device you can use at home. Recording your best reading when you
feel well gives you a personal baseline that makes it easier to recognise an attack early.
""",
            """
## Treatment

Most adults need two kinds of medicine. A controller inhaler containing a corticosteroid is taken every
day to calm inflammation, and a quick-relief inhaler opens the airways within minutes when symptoms
strike.

If you reach for your rescue inhaler more than twice a week, that is a sign your asthma is not well
controlled. Tell your doctor, who may adjust the dose, add a long-acting bronchodilator or check your
inhaler technique.

## An Asthma Action Plan

A written action plan, agreed with your doctor, tells you which medicines to take every day, how to
adjust them when your peak flow drops and when to seek emergency care.

Call for help right away if your lips or fingernails turn grey or blue, if you are too breathless to
speak in full sentences, or if your quick-relief inhaler is not helping.
""",
        ],
    },
    {
        "path": "/center/article-4",
        "title": "Migraine: Symptoms, Triggers and Treatment",
        "summary": "Why migraine is more than a headache, what sets attacks off and which treatments help.",
        "author": "Thomas Lindgren",
        "reviewer": "Søren Aalto, MD",
        "reviewed": "2026-01-15",
        "pages": [
            """
A migraine is more than a bad headache. It is a neurological condition that typically causes throbbing
pain on one side of the head, often with nausea and a strong sensitivity to light, sound or smells.

Attacks can last anywhere from four hours to three days. About one person in four with migraine
experiences an aura beforehand: zigzag lines, flashing lights or blind spots that spread slowly across
the field of vision over twenty minutes or so.

## Who Gets Migraines?

Migraine is about three times more common in women than in men, and it often runs in families. Attacks
usually begin in the teenage years or early adulthood and, for many women, become less frequent after
menopause.
""",
            """
## Common Triggers

Stress, skipped meals, too little or too much sleep, hormonal changes around a period, bright or
flickering light and strong smells are frequently reported triggers. Alcohol, especially red wine, and
aged cheeses bother some people.

Triggers tend to add up. A single late night may be harmless, but a late night combined with a missed
lunch and a long drive into the sun can be enough to set off an attack.

## When to See a Doctor

See a doctor promptly if your headaches change pattern, wake you from sleep or come on suddenly and
severely. The sudden "worst headache of your life," weakness on one side of the body or confusion needs
emergency care, because these can signal a stroke or bleeding in the brain.
""",
            """
## Treating an Attack

Simple painkillers such as ibuprofen, naproxen or aspirin work best when taken early, at the first sign
of pain. Triptans, such as sumatriptan, are prescription drugs that narrow swollen blood vessels and
block pain pathways in the brain.

Resting in a dark, quiet room, placing a cold pack on the forehead and sipping water can help while
medicine takes effect.

## Preventing Migraines

If you have four or more migraine days a month, daily preventive treatment may be worthwhile. Options
include beta-blockers, certain antidepressants, anti-seizure medicines, injections of botulinum toxin
and a newer class of drugs that block a protein called CGRP.

Limit painkillers to no more than two or three days a week. Taking them more often can lead to
medication-overuse headache, a daily headache that only improves once the painkillers are stopped.
""",
        ],
    },
    {
        "path": "/center/article-5",
        "title": "Knee Osteoarthritis",
        "summary": "Why knee cartilage wears away, the signs to watch for and treatments that work without surgery.",
        "author": "Grace Whitfield",
        "reviewer": "Inés Álvarez, MD",
        "reviewed": "2025-12-09",
        "pages": [
            """
Osteoarthritis of the knee develops when the smooth cartilage that cushions the ends of the thigh bone
and shin bone gradually wears away. Without that cushion, bone rubs against bone, causing pain,
stiffness and sometimes a grating or clicking sensation.

Age, excess weight, a previous knee injury and jobs that involve a lot of kneeling or heavy lifting all
raise the risk. The condition tends to progress slowly, and symptoms often flare for a few weeks and
then settle down.

## Signs to Watch For

Pain that worsens with activity and eases with rest is typical. Many people notice stiffness first thing
in the morning or after sitting for a while, which usually loosens within half an hour of moving about.
""",
            """
## Treatment Without Surgery

Exercise is the single most effective treatment. Strengthening the thigh muscles takes pressure off the
joint, and low-impact activities such as cycling, swimming and walking on level ground keep the knee
moving without jarring it.

Losing even a small amount of weight helps: every pound lost takes about four pounds of pressure off
the knee with each step. Anti-inflammatory gels rubbed on the skin, a walking stick held in the opposite
hand and supportive shoes can also ease pain.

## When Surgery Is an Option

If pain keeps you awake at night or stops you from doing everyday tasks despite months of other
treatment, your doctor may refer you to an orthopedic surgeon to discuss a partial or total knee
replacement. Most people who have the operation report much less pain and better mobility a year later.
""",
        ],
    },
    {
        "path": "/center/article-6",
        "title": "The Yearly Flu Vaccine",
        "summary": "Who should get a flu shot, how safe it is and the best time of year to have it.",
        "author": "Maria Okafor",
        "reviewer": "François Lemaître, MD",
        "reviewed": "2025-10-02",
        "pages": [
            """
Influenza viruses change from year to year, so the vaccine is updated every season to match the strains
expected to circulate. Getting vaccinated every autumn is the best way to lower your chance of catching
the flu and of becoming seriously ill if you do.

Nearly everyone aged six months and older should get a flu shot. It is especially important for adults
over 65, pregnant women, young children and anyone with a long-term condition such as asthma, diabetes
or heart disease.

## Is It Safe?

Flu vaccines have been given to hundreds of millions of people and have a strong safety record. A sore
arm, a mild fever or aches for a day or two are the most common side effects, and they are a sign that
the immune system is responding.

The injected vaccine cannot give you the flu, because it contains inactivated virus or only a single
viral protein. If you feel unwell soon after a shot, you most likely caught another virus that was going
around at the same time.

## When to Get It

Protection builds over about two weeks after the shot. Aim to be vaccinated by the end of October, but
getting the vaccine later in the season is still worthwhile while the virus is circulating.
"""
        ],
    },
]

# Drupal-style nodes: linked from the hub only with FaultSite(identity=True); always served.
NODES = [
    {
        "path": "/center/node/123",
        "title": "Iron-Deficiency Anemia",
        "summary": "Why iron runs low, how it feels and how iron stores are rebuilt.",
        "author": "Daniel Reyes",
        "reviewer": "Hélène Dubois, MD",
        "reviewed": "2026-02-20",
        "pages": [
            """
Iron-deficiency anemia is the most common type of anemia worldwide. It develops when the body lacks the
iron it needs to make hemoglobin, the protein in red blood cells that carries oxygen from the lungs to
the rest of the body.

Heavy menstrual periods, pregnancy, slow bleeding from the stomach or bowel and a diet low in iron are
the usual causes. Conditions that affect absorption, such as celiac disease or weight-loss surgery, can
also play a part.

## Symptoms

Tiredness, pale skin, shortness of breath on exertion, headaches and cold hands and feet are common.
Some people develop brittle nails, a sore tongue or an unusual craving to chew ice, a symptom known as
pica.
""",
            """
## Diagnosis and Treatment

A complete blood count shows whether your hemoglobin is low, and a ferritin test measures your iron
stores. Because blood loss is a frequent cause, adults with unexplained iron deficiency are often
referred for tests of the digestive tract.

Iron tablets taken once a day, or every other day, are the usual treatment. Taking them with a glass of
orange juice helps absorption, while tea, coffee and calcium supplements taken at the same time reduce
it.

Most people start to feel better within a few weeks, but treatment usually continues for three months
after hemoglobin returns to normal in order to refill the body's stores. Intravenous iron is an option
for people who cannot tolerate tablets.
""",
        ],
    },
    {
        "path": "/center/node/456",
        "title": "Kidney Stones",
        "summary": "What kidney stones are, the pain they cause and how to keep another one from forming.",
        "author": "Grace Whitfield",
        "reviewer": "José Núñez, MD",
        "reviewed": "2026-01-07",
        "pages": [
            """
Kidney stones are hard deposits of minerals and salts that form inside the kidneys. They can be as small
as a grain of sand or, rarely, as large as a golf ball, and most are made of calcium oxalate.

A stone may cause no trouble while it stays in the kidney. Pain starts when it moves into the ureter,
the narrow tube that carries urine to the bladder, and blocks the flow.

## What a Stone Feels Like

The pain is often severe and comes in waves, starting in the side or back below the ribs and spreading
to the lower abdomen and groin. Pink or brown urine, nausea, vomiting and a constant urge to urinate are
common.
""",
            """
## Treatment

Most small stones pass on their own within a few weeks. Drinking plenty of water, taking pain relief
and, in some cases, a medicine called tamsulosin that relaxes the ureter can make the process faster and
less painful.

Larger stones may be broken up with shock waves from outside the body, a procedure called lithotripsy,
or removed with a thin scope passed through the bladder.

## Preventing Another Stone

About half of people who have one stone will have another within ten years. Drinking enough fluid to
produce pale urine, cutting back on salt and eating less animal protein lower the risk, and your doctor
can analyse a passed stone to tailor advice to its type.
""",
        ],
    },
    {
        "path": "/center/node/789",
        "paging": "path",  # /center/node/789/2, /center/node/789/3
        "title": "Obstructive Sleep Apnea",
        "summary": "Snoring, pauses in breathing and daytime exhaustion: signs of sleep apnea and its treatment.",
        "author": "Thomas Lindgren",
        "reviewer": "Zoë Brennan, MD",
        "reviewed": "2025-11-19",
        "pages": [
            """
Obstructive sleep apnea is a disorder in which the throat muscles relax so much during sleep that the
airway narrows or closes, repeatedly interrupting breathing. Each pause lasts at least ten seconds and
can happen dozens of times an hour.

Loud snoring, gasping or choking during the night and waking with a dry mouth or a headache are typical
signs. A bed partner is often the first to notice the pauses.
""",
            """
## Why It Matters

Because sleep is broken again and again, people with sleep apnea often feel exhausted during the day,
even after a full night in bed. Drowsiness raises the risk of car crashes and accidents at work.

Untreated sleep apnea is linked to high blood pressure, atrial fibrillation, type 2 diabetes and stroke.
The drops in oxygen during each pause put strain on the heart and blood vessels.
""",
            """
## Getting Tested and Treated

A sleep study, done overnight in a clinic or with a simple kit at home, records breathing, oxygen levels
and heart rate to confirm the diagnosis and measure its severity.

Continuous positive airway pressure, or CPAP, keeps the airway open with a gentle stream of air through
a mask and is the most effective treatment. Losing weight, sleeping on your side and avoiding alcohol in
the evening also help, and a custom mouthguard that holds the jaw forward suits some people with milder
disease.
""",
        ],
    },
]

# The edited sentence: article-2, page 2; round r shows EDITS[(r - 1) % 3].
EDIT_PATH = "/center/article-2?page=2"
EDITS = [
    (
        "Most adults with diabetes aim for an A1C below 7%, although your care team may set a higher or lower "
        "target depending on your age, other health conditions and your risk of low blood sugar."
    ),
    (
        "Many adults with diabetes aim for an A1C below 7%, but your care team may choose a different target "
        "based on your age, your other health conditions and how often you have low blood sugar."
    ),
    (
        "An A1C below 7% is a common goal for adults with diabetes; older adults and people prone to low blood "
        "sugar are often given a less strict target of 7.5% or 8%."
    ),
]

# The rotating "Recommended" box: round r shows a different item on every article.
RECOMMENDED = [
    (
        "5 Habits That Protect Your Heart",
        ("Small daily choices, from the stairs to the salt shaker, add up to a stronger heart over the years."),
    ),
    (
        "Is It Allergies or a Cold?",
        ("Itchy eyes point one way and a fever the other; here is how to tell the two apart this spring."),
    ),
    (
        "How Much Sleep Do Adults Really Need?",
        ("Most of us need seven to nine hours, but quality matters as much as quantity."),
    ),
    (
        "Quiz: How Well Do You Know Your Vitamins?",
        ("Ten quick questions on the nutrients your body cannot make on its own."),
    ),
    (
        "Walking for Beginners",
        ("A simple twelve-week plan that takes you from a ten-minute stroll to a brisk half hour."),
    ),
    (
        "Understanding Your Cholesterol Results",
        ("LDL, HDL and triglycerides explained in plain language, with the targets doctors use."),
    ),
    (
        "Slideshow: Foods High in Fiber",
        ("Beans, berries and whole grains that keep digestion regular and help you feel full."),
    ),
    (
        "When a Headache Needs Attention",
        ("Most headaches are harmless, but a few warning signs call for a doctor the same day."),
    ),
    (
        "Staying Hydrated in Hot Weather",
        ("Thirst is a late signal; watch the color of your urine and drink before you head outside."),
    ),
]

NAV = ["Health A-Z", "Drugs & Supplements", "Healthy Living", "Find a Doctor", "Newsletters"]
SITE_NAME = "Riverside Health Library"
CENTER_TITLE = "Adult Health Center"
FOOTER = (
    f"© 2026 {SITE_NAME}. This information does not replace the advice of a doctor or other "
    "qualified health professional."
)
FOOTER_LINKS = ["About Us", "Editorial Policy", "Privacy Policy", "Terms of Use", "Contact Us"]

# Soft 404s: status 200, the site's chrome, and one of these messages (title, heading, text).
SOFT404 = [
    (
        "Page Not Found",
        "Sorry, the page you are looking for cannot be found",
        "It may have been moved, renamed or removed. Try searching our health library or return to the home page.",
    ),
    (
        "Oops!",
        "Oops! We can't find that page.",
        "The link you followed may be broken, or the page may have been retired during our regular content review.",
    ),
    (
        "Content unavailable",
        "This content is no longer available",
        (
            "We regularly review our health information to make sure it is accurate and up to date. The article you "
            "requested has been archived and is no longer published."
        ),
    ),
    (
        "Error",
        "Hmm, nothing here",
        "We looked everywhere but couldn't find what you were looking for. Here are some popular topics instead.",
    ),
]

TINY_LINE = "This article is being updated. Please check back soon."

# Headings of generated pages (the 200-page article, the huge pages).
GENERATED_HEADINGS = [
    "What the Research Shows",
    "Questions to Ask Your Doctor",
    "Living With the Condition",
    "Medicines and Side Effects",
    "When to Get Help",
    "Tips for Caregivers",
    "Diet and Exercise",
    "Tests and Monitoring",
    "Long-Term Outlook",
    "Myths and Facts",
]

SPAM_TITLE = "Best Online Pharmacy - Cheap Generic Pills - Fast Discreet Shipping"
SPAM = [
    (
        "Buy cheap generic pills online with NO prescription needed! Our certified online pharmacy offers the "
        "lowest prices on the internet, guaranteed, with fast and discreet worldwide shipping."
    ),
    (
        "Special offer today only: order 90 pills and get 30 FREE. Bonus pills with every order. Visa, Mastercard "
        "and Bitcoin accepted. 100% satisfaction or your money back, no questions asked."
    ),
    (
        "Lose 30 pounds in 30 days with our miracle detox formula that doctors don't want you to know about. "
        "Celebrities love it. Click here to claim your free trial bottle before stocks run out."
    ),
    (
        "Win big at the number one online casino! Claim your 500% welcome bonus and 200 free spins right now. "
        "Limited time offer for new players only, terms and conditions apply."
    ),
    (
        "Crypto millionaire reveals secret trading system. Earn $5,000 a day from home with just your phone. "
        "Join thousands of happy members who already quit their jobs."
    ),
    (
        "Top-rated replica watches and designer handbags at 90% off retail prices. Free shipping on orders over "
        "$49. Hurry, sale ends at midnight!"
    ),
]
