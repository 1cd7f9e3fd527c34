"""The commands of ``educonnect``, one module per group (reading, actions, feed, outbox…)."""
