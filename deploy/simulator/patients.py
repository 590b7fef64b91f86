"""Made-up patients and the course each one will take through the ED.

Everything random about a visit is drawn once, at arrival, from the
simulator's seeded generator, so a seed always produces the same visits.
Names come from short lists and are obviously synthetic; medical record
numbers start with "SIM".

Durations (minutes) are lognormal around published medians where there is
one (ED-REFERENCE: median LOS 2.1 h; 24 % ward, 3 % ICU admissions) and
plausible operational figures where there is not.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

GIVEN_F = ("Ada", "Bea", "Cleo", "Dora", "Edie", "Fay", "Gwen", "Hana", "Iris", "June", "Kira", "Lena")
GIVEN_M = ("Abe", "Ben", "Cal", "Dev", "Eli", "Finn", "Gus", "Hal", "Ivo", "Jon", "Kai", "Leo")
FAMILY = ("Testwood", "Mockford", "Samplesen", "Fakeley", "Dummond", "Placeman", "Proxmire", "Simms")

COMPLAINTS: dict[int, tuple[str, ...]] = {
    1: ("cardiac arrest", "major trauma", "respiratory failure", "unresponsive", "anaphylaxis"),
    2: ("chest pain", "stroke symptoms", "shortness of breath", "overdose", "sepsis", "GI bleed", "suicidal ideation"),
    3: ("abdominal pain", "fever", "syncope", "back pain", "headache", "fall", "vomiting", "kidney stone"),
    4: ("laceration", "ankle injury", "wrist injury", "urinary symptoms", "rash", "ear pain"),
    5: ("medication refill", "suture removal", "sore throat", "insect bite"),
}
PSYCH_COMPLAINTS = ("suicidal ideation", "overdose")
# ESI-1 complaints whose patients go on a ventilator once in a bed (NEDOCS's V).
VENTILATED_COMPLAINTS = ("cardiac arrest", "respiratory failure")
CORRECTED_COMPLAINTS = {
    "abdominal pain": "right lower quadrant pain",
    "fall": "fall with hip pain",
    "fever": "fever and cough",
}

# P(admitted | ESI) and P(ICU | admitted, ESI): with the default triage mix
# this gives ~24 % ward and ~3 % ICU admissions.
ADMIT_BY_ESI = {1: 0.75, 2: 0.50, 3: 0.25, 4: 0.05, 5: 0.02}
ICU_BY_ESI = {1: 0.50, 2: 0.10, 3: 0.02, 4: 0.0, 5: 0.0}
WARD_UNITS = ("4 West Medicine", "5 East Surgery", "6 North Telemetry")
TRANSFER_DESTINATIONS = ("Regional Burn Center", "University Trauma Center", "Children's Hospital")


@dataclass(frozen=True)
class Course:
    """What will happen to one visit, decided at the door."""

    esi: int
    sex: str
    age_years: int
    given_name: str
    family_name: str
    mrn: str
    birth_date: date
    arrival_mode: str
    chief_complaint: str
    minutes_to_triage: float
    minutes_bed_to_provider: float
    minutes_target_stay: float  # arrival -> departure (or admit decision)
    patience_minutes: float | None  # a waiting patient leaves after this; None: never
    outcome: str  # home | ward | icu | observation | transferred | left-against-advice | died
    boarding_minutes: float  # admit decision -> departure (ward, icu), or observation stay
    inpatient_unit: str | None
    destination: str | None
    correction: str | None  # details | duplicate | discharge-error
    books_follow_up: bool

    @property
    def wants_psych_bed(self) -> bool:
        return self.chief_complaint in PSYCH_COMPLAINTS

    @property
    def ventilated(self) -> bool:
        """Derived, not drawn: the seeded visits stay what they were."""
        return self.esi == 1 and self.chief_complaint in VENTILATED_COMPLAINTS

    @property
    def minutes_on_ventilator(self) -> float | None:
        """From going on the ventilator to coming off; None: leaves the
        department still on it (to the ICU, or died)."""
        if not self.ventilated or self.outcome in ("icu", "died"):
            return None
        return self.minutes_target_stay / 2


def lognormal(rng: random.Random, median: float, sigma: float, low: float = 0.0, high: float = math.inf) -> float:
    return min(max(rng.lognormvariate(math.log(median), sigma), low), high)


def draw_course(rng: random.Random, esi: int, arrived_at: datetime) -> Course:
    sex = rng.choices(("F", "M", "U"), weights=(51, 48, 1))[0]
    age = _age(rng, esi)
    given = rng.choice(GIVEN_M if sex == "M" else GIVEN_F)
    birth_date = arrived_at.date() - timedelta(days=age * 365 + 1 + rng.randrange(364))
    complaint = rng.choice(COMPLAINTS[esi])
    outcome, inpatient_unit, destination, boarding = _outcome(rng, esi)
    return Course(
        esi=esi,
        sex=sex,
        age_years=_age_on(birth_date, arrived_at.date()),
        given_name=given,
        family_name=rng.choice(FAMILY),
        mrn=f"SIM{rng.randrange(10**7):07d}",
        birth_date=birth_date,
        arrival_mode=_arrival_mode(rng, esi),
        chief_complaint=complaint,
        minutes_to_triage=rng.uniform(0, 2) if esi == 1 else lognormal(rng, 8, 0.6, 1, 90),
        minutes_bed_to_provider=rng.uniform(0, 5) if esi <= 2 else lognormal(rng, 12, 0.6, 2, 120),
        minutes_target_stay=lognormal(rng, 105, 0.6, 25, 24 * 60),
        patience_minutes=None if esi <= 2 else lognormal(rng, 150, 0.5, 30),
        outcome=outcome,
        boarding_minutes=boarding,
        inpatient_unit=inpatient_unit,
        destination=destination,
        correction=rng.choices((None, "details", "duplicate", "discharge-error"), weights=(95.5, 3, 0.8, 0.7))[0],
        books_follow_up=outcome == "home" and rng.random() < 0.12,
    )


def _age_on(birth_date: date, on: date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def _age(rng: random.Random, esi: int) -> int:
    if rng.random() < 0.12:
        return rng.randrange(0, 18)
    mean = 62 if esi <= 2 else 44
    return int(min(max(rng.gauss(mean, 18), 18), 99))


def _arrival_mode(rng: random.Random, esi: int) -> str:
    if esi == 1:
        return rng.choices(("ambulance", "helicopter", "walk-in"), weights=(70, 5, 25))[0]
    if esi == 2:
        return rng.choices(("ambulance", "walk-in", "transfer"), weights=(40, 55, 5))[0]
    return rng.choices(("walk-in", "ambulance", "police"), weights=(88, 10, 2))[0]


def _outcome(rng: random.Random, esi: int) -> tuple[str, str | None, str | None, float]:
    """(outcome, inpatient unit, destination, boarding or observation minutes)."""
    if rng.random() < ADMIT_BY_ESI[esi]:
        if rng.random() < ICU_BY_ESI[esi]:
            return "icu", "MICU", "MICU", lognormal(rng, 60, 0.6, 10)
        unit = rng.choice(WARD_UNITS)
        return "ward", unit, unit, lognormal(rng, 120, 0.7, 10)
    if esi == 1 and rng.random() < 0.05:
        return "died", None, None, 0.0
    roll = rng.random()
    if roll < 0.015:
        return "transferred", None, rng.choice(TRANSFER_DESTINATIONS), 0.0
    if roll < 0.025:
        return "left-against-advice", None, None, 0.0
    if esi in (2, 3) and roll < 0.065:
        return "observation", None, None, lognormal(rng, 600, 0.4, 180, 30 * 60)
    return "home", None, None, 0.0
