"""The few PHP behaviours Mailcow's answers depend on: intval, empty(), isset(), json_decode,
json_encode, filter_var."""

import decimal
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


def isset(data, key):
    """isset($data[$key]): a key whose value is null counts as absent (Mailcow's defaults apply)."""
    return isinstance(data, dict) and data.get(key) is not None


def _json_int(text):
    # json_decode: an integer too big for PHP's 64-bit int becomes a float.
    number = int(text)
    return number if -PHP_INT_MAX - 1 <= number <= PHP_INT_MAX else float(text)


def _no_constants(name):
    raise ValueError(name)


def decode(text):
    """json_decode($text, true); ValueError where PHP returns null for invalid JSON."""
    return json.loads(text, parse_int=_json_int, parse_constant=_no_constants)


def float_text(value):
    """A float as json_encode writes it (serialize_precision -1): 3.5, 2.0, 1.0e+19, 1.0e-5."""
    digits, exponent = decimal.Decimal(repr(value)).normalize().as_tuple()[1:]
    text = "".join(map(str, digits))
    point = len(text) + exponent  # where the decimal point goes, counted from the first digit
    sign = "-" if value < 0 else ""
    if point > 17 or point < -3:
        return f"{sign}{text[0]}.{text[1:] or '0'}e{'+' if point > 0 else '-'}{abs(point - 1)}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{text}"
    if point >= len(text):
        return f"{sign}{text}{'0' * (point - len(text))}.0"
    return f"{sign}{text[:point]}.{text[point:]}"


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


class _Encoder(json.JSONEncoder):
    """Writes floats as PHP does; the pure-Python encoder calls floatstr for every float."""

    def iterencode(self, o, _one_shot=False):
        markers = {} if self.check_circular else None
        encode_string = json.encoder.encode_basestring_ascii if self.ensure_ascii else json.encoder.encode_basestring
        return json.encoder._make_iterencode(  # noqa: SLF001 - the only hook for float formatting
            markers, self.default, encode_string, " " * self.indent if self.indent else None, float_text,
            self.key_separator, self.item_separator, self.sort_keys, self.skipkeys, _one_shot)(o, 0)


def encode(value):
    """json_encode() with default flags: compact, escaped slashes and unicode."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True, cls=_Encoder).replace("/", "\\/")


def encode_pretty(value):
    """json_encode(JSON_PRETTY_PRINT | JSON_UNESCAPED_UNICODE), as Mailcow answers GETs."""
    return json.dumps(value, indent=4, ensure_ascii=False, cls=_Encoder).replace("/", "\\/")


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
