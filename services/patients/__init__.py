"""The patient index: one record per patient per facility, keyed by MRN.

The write model is `PatientRecord` (`record.py`), one aggregate per facility
and MRN holding the record's own facts (details updates and corrections,
merges); its commands are in `commands.py`. The index itself (`index.py`) is
a read model over the store's log: registrations, bookings, contacts and the
records' facts, caught up before every read.
"""
