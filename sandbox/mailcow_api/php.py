"""The few PHP behaviours Mailcow's answers depend on: intval, empty(), json_encode, filter_var."""

import json
import math
import re

_INT_PREFIX = re.compile(r"\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)")


PHP_INT_MAX = 2**63 - 1


def intval(value):
    """PHP intval(): a leading number of a string counts, anything else is 0; 64-bit saturated."""
    return max(-PHP_INT_MAX - 1, min(PHP_INT_MAX, _intval(value)))


def _intval(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else 0
    if isinstance(value, str):
        match = _INT_PREFIX.match(value)
        if not match:
            return 0
        number = match.group(1)
        if re.fullmatch(r"[+-]?\d+", number):
            return int(number)
        try:
            return int(float(number))
        except (ValueError, OverflowError):
            return 0
    if isinstance(value, (list, dict)):
        return 1 if value else 0
    return 0


def empty(value):
    """PHP empty(): null, false, 0, 0.0, "", "0" and empty arrays."""
    return value is None or value is False or value == 0 or value in ("", "0") or value == [] or value == {}


def to_string(value):
    """How PHP turns a scalar into a string when a function wants one."""
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, float):
        return repr(value).rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


def as_list(value):
    """PHP (array) cast of a decoded JSON value: a scalar becomes a one-element list."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    if value is None:
        return []
    return [value]


def php_value(value):
    """A decoded JSON value as json_encode prints it back: an empty object becomes []."""
    if isinstance(value, dict):
        return {key: php_value(item) for key, item in value.items()} if value else []
    if isinstance(value, list):
        return [php_value(item) for item in value]
    return value


def encode(value):
    """json_encode() with default flags: compact, escaped slashes and unicode."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/")


def encode_pretty(value):
    """json_encode(JSON_PRETTY_PRINT | JSON_UNESCAPED_UNICODE), as Mailcow answers GETs."""
    return json.dumps(value, indent=4, ensure_ascii=False).replace("/", "\\/")


_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*@(?:{_LABEL}\.)+{_LABEL}")


def valid_email(value):
    """filter_var(FILTER_VALIDATE_EMAIL): needs a dotted domain, so null@localhost fails."""
    if not isinstance(value, str) or not _EMAIL.fullmatch(value):
        return False
    local, domain = value.rsplit("@", 1)
    return len(local) <= 64 and len(domain) <= 253


def split_list(value):
    """preg_split('/[\\s,;]+/') over a string, dropping empty pieces."""
    return [part for part in re.split(r"[\s,;]+", value) if part]
