"""Optional encryption of stored events: nothing readable at rest, same behaviour."""

from __future__ import annotations

import sqlite3

from eventsourcing.cryptography import AESCipher

from base.settings import Settings
from events.catalogue import Person
from services.audit.verify import verify
from services.hospital import Hospital


def test_encrypted_store_hides_phi_and_still_works(tmp_path, clock):
    settings = Settings(data_dir=tmp_path, cipher_key=AESCipher.create_key(32))
    app = Hospital(settings)
    encounter = app.arrive(clock.meta(), "V1", Person(family_name="Zebulon", sex="M"), chief_complaint="chest pain").id
    app.triage(clock.meta(), encounter, 2)
    raw = b"".join(row[0] for row in sqlite3.connect(settings.sqlite_path).execute("SELECT state FROM stored_events"))
    assert b"Zebulon" not in raw and b"chest pain" not in raw
    assert app.encounter("fac-1", encounter).esi == 2
    assert verify(app).intact


def test_plain_store_is_readable_without_a_key(tmp_path, clock):
    settings = Settings(data_dir=tmp_path)
    app = Hospital(settings)
    app.arrive(clock.meta(), "V1", Person(family_name="Zebulon", sex="M"))
    raw = b"".join(row[0] for row in sqlite3.connect(settings.sqlite_path).execute("SELECT state FROM stored_events"))
    assert b"Zebulon" in raw
