"""A local stand-in for the Mailcow REST API (domains, mailboxes, aliases, DKIM).

It reproduces the real server's observable behaviour as recorded against Mailcow 2026-07a
(tests/contract/data/transcripts.md: status codes, envelopes, field names and types, check
order, side effects) and adds test-only control endpoints under /_sandbox. Run `python -m sandbox.mailcow_api --help`.
"""
