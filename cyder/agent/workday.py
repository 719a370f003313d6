"""When a simulated member of staff does what during an office day (standard library only).

The schedule of one PC for one day follows from the seed, the PC's name and the day alone, so a
range's background activity is the same every time it runs with the same seed. Shape: staff arrive
around the start of the working day and check their mail first, work in bursts (a few pages, then
a pause), mostly leave their desks at lunch, leave around the end of the day; a few night owls stay
into the evening. The same module runs on the machine (tests, benchmarks) and inside the staff
containers, where cyder/agent/staff.py carries the actions out.
"""

import random

KINDS = ("browse", "lookup", "mail_send", "mail_read", "file", "login")
# Mean number of actions in one burst of work (a few pages in a row, one mail at a time).
BURST = {"browse": 4.0, "lookup": 2.0, "mail_send": 1.2, "mail_read": 1.0, "file": 2.0, "login": 1.0}
LUNCH_ACTIVITY = 0.15     # share of the usual activity during lunch (some eat at their desks)
ARRIVAL_MAIL_BOOST = 2.5  # mail is read far more in the first half hour of the day
DAY = 86400


def seconds(hhmm):
    """Seconds since midnight of an "HH:MM" time."""
    hours, minutes = hhmm.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def person(seed, pc, profile):
    """A member of staff's habits for a day: arrival, lunch, departure, and how busy they are."""
    chooser = random.Random(f"{seed}/habits/{pc}")
    start = seconds(profile["workday"][0]) + chooser.gauss(-600, 600)
    end = seconds(profile["workday"][1]) + abs(chooser.gauss(900, 1500))
    night_owl = chooser.random() < profile.get("night_owls", 0)
    if night_owl:
        end = chooser.uniform(20 * 3600, 23.5 * 3600)
    lunch_start = seconds(profile["lunch"][0]) + chooser.gauss(0, 300)
    lunch_end = lunch_start + seconds(profile["lunch"][1]) - seconds(profile["lunch"][0]) + chooser.gauss(0, 300)
    return {"start": start, "end": end, "lunch": (lunch_start, lunch_end), "night_owl": night_owl,
            "zeal": chooser.lognormvariate(0, 0.4)}


def activity(habits, kind, moment):
    """How active the person is at a moment of the day (0 away, 1 usual, more when it peaks)."""
    if not habits["start"] <= moment < habits["end"]:
        return 0.0
    if habits["lunch"][0] <= moment < habits["lunch"][1]:
        return LUNCH_ACTIVITY
    if kind == "mail_read" and moment < habits["start"] + 1800:
        return ARRIVAL_MAIL_BOOST
    return 1.0


def day_plan(seed, pc, profile, admin=False, day=0):
    """The day's actions of one PC as sorted (seconds since midnight of day 0, kind) pairs."""
    habits = person(seed, f"{pc}/{day}", profile)
    chooser = random.Random(f"{seed}/plan/{pc}/{day}")
    peak = max(ARRIVAL_MAIL_BOOST, 1.0)
    actions = []
    for kind in KINDS:
        rate = profile["rates"].get(kind, 0) * habits["zeal"] / 3600.0
        if rate <= 0 or (kind == "login" and not admin):
            continue
        burst = BURST[kind]
        moment = habits["start"]
        while True:
            # Bursts arrive as a Poisson process thinned by the time of day.
            moment += chooser.expovariate(rate * peak / burst)
            if moment >= habits["end"]:
                break
            if chooser.random() * peak >= activity(habits, kind, moment):
                continue
            count = 1
            while chooser.random() > 1.0 / burst:
                count += 1
            offset = 0.0
            for _ in range(count):
                actions.append((day * DAY + moment + offset, kind))
                offset += chooser.uniform(4, 40)
    actions.sort()
    return actions


def detail_chooser(seed, pc, moment, kind):
    """The random source for one action's details (which site, colleague, file), fixed by the seed."""
    return random.Random(f"{seed}/{pc}/{kind}/{moment:.3f}")
