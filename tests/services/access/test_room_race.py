"""Race: twelve schedulers book one room at one time with different
providers; exactly one wins, the rest get slot_already_booked."""

from __future__ import annotations

import threading
from datetime import timedelta

from services.errors import SlotAlreadyBooked
from services.hospital import Hospital
from tests.services.access.conftest import PATIENT, at


def test_twelve_threads_one_room_one_winner(settings, clock):
    app = Hospital(settings)
    start = at(1, 9)
    barrier, wins, refusals, errors = threading.Barrier(12), [], [], []

    def attempt(n: int) -> None:
        meta = clock.meta(role="scheduler", at=at(0, 8))
        barrier.wait()
        try:
            app.book(
                meta,
                PATIENT,
                f"dr-{n}",
                "surgery",
                "surgical-case",
                start,
                start + timedelta(hours=2),
                appointment_id=f"S{n}",
                room_id="or-1",
            )
            wins.append(n)
        except SlotAlreadyBooked:
            refusals.append(n)
        except Exception as error:
            errors.append(repr(error))

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and len(wins) == 1 and len(refusals) == 11
    (calendar_holder,) = wins
    assert app.appointment("fac-1", f"S{calendar_holder}").room_id == "or-1"
    app.close()
