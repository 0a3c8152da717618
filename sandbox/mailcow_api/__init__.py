"""A local stand-in for the Mailcow REST API (domains, mailboxes, aliases, DKIM).

It reproduces the real server's observable behaviour (Mailcow 2026-07a): status codes, envelopes,
field names and types, check order, side effects. It was built from the recorded exchanges in
tests/contract/data/transcripts.md and is checked against the real server by the [real] half of
the tests and the differential test (docs/testing.md). It adds test-only control endpoints under
/_sandbox. Run `python -m sandbox.mailcow_api --help`.

Deliberately not emulated (the modules never send such input, and emulating it would cost more
than it proves):
- PHP's loose `==` between numeric strings (`in_array("1e1", ["10"])` is true in PHP): the emulator
  compares strings exactly.
- add/domain with numbers beyond PHP's 64-bit integers: PHP's `(int)` of such a float is undefined
  behaviour; the emulator saturates.
- edit/domain's use of the raw `aliases`/`maxquota`/`quota` values in its checks: only the outcome
  that matters (MariaDB refusing a value that is no number or too big: empty 200, nothing of that
  item stored) is emulated; valid numbers are compared as integers.
- Internationalised names that UTS46 rejects: idn_to_ascii() returns false there; the emulator keeps
  the text.
- Alias domains, domain admins' own logins, spam aliases, resources (`kind` location/thing/group),
  rate-limit enforcement, SOGo/dovecot side effects, fail2ban bans: not part of the API surface the
  modules use.
"""
