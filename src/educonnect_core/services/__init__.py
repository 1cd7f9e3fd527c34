"""The use cases: the director's administration, the guardian portal, the directory integration,
the exports and the outbox relay.
"""
