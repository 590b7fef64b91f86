"""edflow's public contract: the event catalogue, the envelope and its codec."""

from events.catalogue import ALL_FACTS, FACTS_BY_TYPE, Fact
from events.envelope import Actor, Envelope, decode, encode, event_id_for

__all__ = ["ALL_FACTS", "FACTS_BY_TYPE", "Fact", "Actor", "Envelope", "decode", "encode", "event_id_for"]
