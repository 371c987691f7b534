"""A scannerless recursive-descent parser for the condition grammar (SPEC §E, D1).

    or     := and ( ("|" | WS "OR" WS) and )*
    and    := unary ( ("&" | WS "AND" WS) unary )*
    unary  := "(" or ")" | atom        -- "(" opens a group only where an atom may start
    atom   := keyword | operand OP value? | contains:value | not_contains:value

The operator of a comparison is the leftmost operator character (longest match of
`!~ != == <= >= ~ = < >`), so a value may itself hold operator characters (`stdout~a=b`).
A value runs to the next top-level `&`, `|`, ` AND `, ` OR ` or group-closing `)`; a value
written in quotes (`"..."`, `'...'`) followed by such a terminator has its quotes removed and
nothing inside it is an operator. Parentheses outside quotes must balance: a `(` inside an
atom's text must be closed within that atom. Nothing is substituted here (D1).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NoReturn

from tasker.conditions.atoms import (
    LEGACY_PREFIXES,
    classify_comparison,
    classify_keyword,
    classify_legacy,
)
from tasker.conditions.nodes import AllOf, AnyOf, Atom, Condition, Node
from tasker.errors import ConditionSyntaxError, Location

MAX_DEPTH = 64
_WHITESPACE = re.compile(r"\s*")
_TWO_CHAR_OPS = ("!~", "!=", "==", "<=", ">=")
_ONE_CHAR_OPS = "~=<>"
_QUOTES = "\"'"
_WORDS = {"&": "AND", "|": "OR"}


@lru_cache(maxsize=4096)
def parse_condition(text: str) -> Condition:
    """Parse a condition into its AST; raise ConditionSyntaxError (1-based column) if malformed.

    Unknown atoms are not syntax errors: they parse (kind `unknown`) and evaluate to False;
    `atom_is_recognized` tells a validator which atoms to reject.
    """
    return Condition(text, _Parser(text).parse())


def parse_condition_tail(text: str, offset: int) -> Condition:
    """Parse `text[offset:]` as a condition; error columns count from the start of `text`."""
    return Condition(text[offset:].strip(), _Parser(text, offset).parse())


class _Parser:
    """One parse of one condition text; `pos` is the index of the next unread character."""

    def __init__(self, text: str, start: int = 0):
        self.text = text
        self.n = len(text)
        self.pos = start
        self.depth = 0

    def fail(self, detail: str, index: int) -> NoReturn:
        column = index + 1
        message = f"malformed condition '{self.text}': {detail} (column {column})"
        raise ConditionSyntaxError(message, Location(column=column))

    def parse(self) -> Node:
        node = self.parse_or()
        end = self.ws_end(self.pos)
        if end < self.n:
            if self.text[end] == ")":
                self.fail("unbalanced ')' without a matching '('", end)
            self.fail(f"expected '&', '|', 'AND' or 'OR' before {self.token_at(end)}", end)
        return node

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while self.take_operator("|"):
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else AnyOf(tuple(items))

    def parse_and(self) -> Node:
        items = [self.parse_unary()]
        while self.take_operator("&"):
            items.append(self.parse_unary())
        return items[0] if len(items) == 1 else AllOf(tuple(items))

    def take_operator(self, symbol: str) -> bool:
        """Consume `symbol` or its word (after whitespace) if it comes next."""
        end = self.ws_end(self.pos)
        if end < self.n and self.text[end] == symbol:
            self.pos = end + 1
            return True
        word = _WORDS[symbol]
        if end > self.pos and self.word_operator_at(end) == word:
            self.pos = end + len(word)
            return True
        return False

    def parse_unary(self) -> Node:
        start = self.ws_end(self.pos)
        self.pos = start
        if start >= self.n or self.text[start] in "&|)" or self.word_operator_at(start):
            self.fail(self.missing_condition(start), start)
        if self.text[start] == "(":
            return self.parse_group(start)
        return self.scan_atom(start)

    def parse_group(self, start: int) -> Node:
        if self.depth >= MAX_DEPTH:
            self.fail(f"parentheses nested more than {MAX_DEPTH} deep", start)
        self.depth += 1
        self.pos = start + 1
        node = self.parse_or()
        end = self.ws_end(self.pos)
        if end >= self.n:
            self.fail(f"'(' at column {start + 1} is never closed", start)
        if self.text[end] != ")":
            self.fail(f"expected '&', '|', 'AND', 'OR' or ')' before {self.token_at(end)}", end)
        self.pos = end + 1
        self.depth -= 1
        return node

    def missing_condition(self, start: int) -> str:
        """Describe a place where a condition was expected but none was written."""
        before = self.text[:start].rstrip()
        found = self.token_at(start)
        if not before:
            if found == "')'":
                return "unbalanced ')' without a matching '('"
            return "empty condition" if start >= self.n else f"leading operator {found}"
        previous = next((w for w in ("AND", "OR") if before.endswith(w)), before[-1])
        if previous == "(":
            if start >= self.n:
                return f"'(' at column {len(before)} is never closed"
            return "empty parentheses" if found == "')'" else f"operator {found} right after '('"
        if start >= self.n or found == "')'":
            return f"trailing operator '{previous}'"
        return f"double operator: {found} right after '{previous}'"

    def token_at(self, index: int) -> str:
        if index >= self.n:
            return "the end"
        word = self.word_operator_at(index)
        return f"'{word or self.text[index]}'"

    def ws_end(self, index: int) -> int:
        return _WHITESPACE.match(self.text, index).end()

    def word_operator_at(self, index: int) -> str | None:
        """`AND`/`OR` at `index` followed by whitespace or the end (the caller checks before)."""
        for word in ("AND", "OR"):
            after = index + len(word)
            if self.text.startswith(word, index) and (after == self.n
                                                       or self.text[after].isspace()):
                return word
        return None

    def operator_at(self, index: int) -> str | None:
        two = self.text[index:index + 2]
        if two in _TWO_CHAR_OPS:
            return two
        return self.text[index] if self.text[index] in _ONE_CHAR_OPS else None

    def quoted_value_at(self, index: int) -> tuple[str, int] | None:
        """A quoted value starting at `index` (after blanks) and followed by a terminator."""
        start = self.ws_end(index)
        if start >= self.n or self.text[start] not in _QUOTES:
            return None
        close = self.text.find(self.text[start], start + 1)
        if close < 0:
            return None
        after = self.ws_end(close + 1)
        if after < self.n and self.text[after] not in "&|)" and not (
                after > close + 1 and self.word_operator_at(after)):
            return None
        return self.text[start + 1:close], close + 1

    def scan_atom(self, start: int) -> Atom:
        scan = _AtomScan(start, self.legacy_prefix(start))
        i = scan.value_from if scan.prefix else start
        if scan.prefix:
            scan.quoted = self.quoted_value_at(i)
        while i < self.n and scan.quoted is None:
            char = self.text[i]
            if char in "&|":
                break
            if char.isspace():
                end = self.ws_end(i)
                if self.word_operator_at(end):
                    break
                i = end
                continue
            if char == ")" and not scan.opens:
                break
            i = self.step(scan, i)
        if scan.quoted is not None:
            i = scan.quoted[1]
        if scan.opens:
            self.fail("unbalanced '(' (quote the value if it is text)", scan.opens[-1])
        self.pos = i
        return self.build_atom(scan, start, i)

    def step(self, scan: _AtomScan, i: int) -> int:
        """Advance over one character of an atom; returns the next index."""
        char = self.text[i]
        if char == "(":
            scan.opens.append(i)
        elif char == ")":
            scan.opens.pop()
        elif scan.op is None and scan.prefix is None and char in "!~=<>":
            op = self.operator_at(i)
            if op:
                scan.op, scan.op_at = op, i
                scan.value_from = i + len(op)
                scan.quoted = self.quoted_value_at(scan.value_from)
                return scan.value_from
        return i + 1

    def legacy_prefix(self, start: int) -> str | None:
        head = self.text[start:start + len("not_contains:")].lower()
        return next((p for p in LEGACY_PREFIXES if head.startswith(p)), None)

    def build_atom(self, scan: _AtomScan, start: int, end: int) -> Atom:
        text = self.text[start:end].strip()
        column = start + 1
        if scan.prefix is None and scan.op is None:
            return classify_keyword(text, column)
        quoted = scan.quoted is not None
        value = scan.quoted[0] if quoted else self.text[scan.value_from:end].strip()
        if scan.prefix:
            return classify_legacy(text, column, scan.prefix, value, quoted)
        operand = self.text[start:scan.op_at].strip()
        op = "=" if scan.op == "==" else scan.op
        return classify_comparison(text, column, operand, op, value, quoted=quoted)


class _AtomScan:
    """Mutable state while scanning one atom."""

    def __init__(self, start: int, prefix: str | None):
        self.prefix = prefix
        self.op: str | None = None
        self.op_at = -1
        self.value_from = start + len(prefix) if prefix else -1
        self.quoted: tuple[str, int] | None = None
        self.opens: list[int] = []
