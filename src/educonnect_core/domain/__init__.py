"""The domain model: values, directory records, the account aggregate, its lifecycle, the
permission matrix, the letters, the policy and the read models. Pure: no ports, no I/O.
"""
