"""DNS for sending domains: names, record syntax, provider templates, checks, blacklists and provider APIs.

Everything here is either a pure function over plain values (names, records, spf, dkim, dmarc, templates) or
talks to the network (check, dnsbl, adapters); none of it touches the database. `engine.domains` combines them.
"""
