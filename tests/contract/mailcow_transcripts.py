"""Parse the recorded exchanges with the real Mailcow (data/transcripts.md) for replaying them."""

import re
from dataclasses import dataclass
from pathlib import Path

TRANSCRIPTS = Path(__file__).with_name("data") / "transcripts.md"

# The keys of the recorded run: rw and ro skip the IP check, iplock only accepts 127.0.0.2.
KEYS = {
    "rw": "REALKEY-0000-0000-0000-000000000001",
    "ro": "REALKEY-0000-0000-0000-000000000002",
    "iplock": "REALKEY-0000-0000-0000-000000000003",
    "wrong": "WRONG-KEY-1234",
    "empty": "",
}

_TIMESTAMP = re.compile(r'"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"')
_PUBKEY = re.compile(r"MII[A-Za-z0-9+\\/=]{100,}")


@dataclass
class Exchange:
    number: int
    title: str
    method: str
    path: str
    key: str
    content_type: str
    body: str | None
    status: int
    response_content_type: str
    response: str

    def headers(self):
        headers = {}
        if self.key != "none":
            headers["X-API-Key"] = KEYS[self.key]
        if self.content_type == "json":
            headers["Content-Type"] = "application/json"
        return headers


def load():
    text = TRANSCRIPTS.read_text()
    parts = re.split(r"^### (\d+)\. (.*)$", text, flags=re.M)
    exchanges = []
    for index in range(1, len(parts), 3):
        number, title, section = int(parts[index]), parts[index + 1], parts[index + 2]
        call = re.search(r"^`(\w+) (\S+)`\s+\(key: (\w+), content-type: ([^)]*)\)", section, re.M)
        body = re.search(r"Request body:(?: \(none\)|\s*```json\n(.*?)\n```)", section, re.S)
        status = re.search(r"HTTP status: \*\*(\d+)\*\*\s+\(response Content-Type: ([^)]*)\)", section)
        response = re.search(r"Response body \(exact, (\d+) bytes\):\n```json\n(.*?)```", section, re.S)
        raw = response.group(2)[:-1] if response.group(2).endswith("\n") else response.group(2)
        if len(raw.encode()) != int(response.group(1)):
            raise ValueError(f"exchange {number}: body length does not match the recorded byte count")
        exchanges.append(Exchange(number, title, call.group(1), call.group(2), call.group(3), call.group(4),
                                  body.group(1), int(status.group(1)), status.group(2), raw))
    return exchanges


def normalise(text):
    """Blank what must differ between two runs: timestamps and DKIM key material."""
    return _PUBKEY.sub("<public key>", _TIMESTAMP.sub('"<timestamp>"', text))


def public_keys(text):
    return _PUBKEY.findall(text)
