"""Password hashing (argon2) and what a new password may be.

The rules follow the NCSC's password guidance: a minimum length and a deny list of the passwords
people most often choose (and the ones a guesser tries first: the account's own name, the
service's, one character repeated, a keyboard run), rather than composition rules.
"""

import re
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1000
SERVICE_NAME = "plantrack"
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
# Fewer different characters than this in a password of any length is a pattern, not a secret.
MIN_DIFFERENT_CHARACTERS = 5
# Runs a guesser walks: the alphabet, the digits and the common keyboard rows.
_RUNS = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789" * 3,
    "1234567890qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
)
# Digits and symbols a guesser adds around a common word ("password1234", "!dragon!").
_AFFIXES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
# Letters people swap for look-alikes ("p@ssw0rd"); 1 reads as i or l, so both are tried.
_LOOK_ALIKES = (
    str.maketrans({"@": "a", "4": "a", "8": "b", "3": "e", "1": "i", "!": "i", "0": "o",
                   "$": "s", "5": "s", "7": "t"}),
    str.maketrans({"@": "a", "4": "a", "8": "b", "3": "e", "1": "l", "!": "i", "0": "o",
                   "$": "s", "5": "s", "7": "t"}),
)  # fmt: skip


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash was made with other parameters than today's (rehash it at sign-in)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return False


@lru_cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _is_pattern(text: str) -> bool:
    """One character or a short piece repeated ("aaaa", "abcabcab"), or a run of the alphabet,
    the digits or a keyboard row, either way."""
    for size in range(1, len(text) // 2 + 1):
        if (text[:size] * (len(text) // size + 1))[: len(text)] == text:
            return True
    return any(text in run or text in run[::-1] for run in _RUNS)


def _guessable_forms(text: str) -> set[str]:
    """The password as a guesser's rules would reach it: without the digits and symbols around
    it, and with look-alike characters read as letters."""
    core = _AFFIXES.sub("", text)
    forms = {text, core}
    forms.update(core.translate(table) for table in _LOOK_ALIKES)
    forms.discard("")
    return forms


def password_weakness(password: str, *, email: str) -> str | None:
    """Why ``password`` may not be used for the account ``email``, in words for its owner; None
    if it may. Case is ignored throughout; spaces at either end do not count towards the length.
    """
    if not password:
        return "Enter a password."
    if not password.strip():
        return "A password cannot be only spaces."
    if len(password.strip()) < MIN_PASSWORD_LENGTH:
        return f"A password must be at least {MIN_PASSWORD_LENGTH} characters long."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"A password must be at most {MAX_PASSWORD_LENGTH:,} characters long."
    folded = password.strip().casefold()
    compact = "".join(folded.split())
    letters_and_digits = re.sub(r"[\W_]+", "", folded)
    if SERVICE_NAME in compact or SERVICE_NAME in letters_and_digits:
        return f"A password cannot contain the name of this service, “{SERVICE_NAME}”."
    address = email.strip().casefold()
    local_part = address.partition("@")[0]
    # Compared stripped of digits and symbols at its ends too, as the password is ("jo.smith7"
    # and "jo.smith7!2024" both come down to "jo.smith").
    local_forms = {local_part, _AFFIXES.sub("", local_part)} - {""}
    forms = (
        _guessable_forms(folded) | _guessable_forms(compact) | _guessable_forms(letters_and_digits)
    )
    if (address and address in compact) or local_forms & forms:
        return "A password cannot be your e-mail address, or the part of it before the @."
    if len(set(compact)) < MIN_DIFFERENT_CHARACTERS or any(
        _is_pattern(form) for form in forms if len(form) >= 4
    ):
        return (
            "A password cannot be one character or a short pattern repeated, or a run of "
            "letters, numbers or keys (such as aaaa, abcabc, 1234 or qwerty)."
        )
    if forms & common_passwords():
        return (
            "This is one of the most common passwords, or one with only numbers or symbols "
            "added. Choose one that is harder to guess."
        )
    return None
