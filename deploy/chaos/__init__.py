"""`edflow chaos`: a fault harness. It runs a whole edflow site on this
machine's loopback addresses (a three-broker Kafka cluster, two relays, two
projection workers, two servers, a simulated department and a board client),
kills and pauses its parts in turn, and checks afterwards that nothing the
API acknowledged was lost or doubled and that every board healed."""
