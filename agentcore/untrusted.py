"""Untrusted text is data: how it enters a prompt, and how it reaches a terminal.

Tool results, retrieved passages, page text, user messages and everything a model wrote
come from outside the engine. Spliced into a prompt as they are, they can take control:

* a special-token string (``<|im_start|>``, ``<|eot_id|>``, ``<start_of_turn>``) becomes
  a real control token when the backend tokenises the prompt with special tokens parsed
  (llama.cpp and transformers do; so does an OpenAI-compatible server), ending the turn
  or opening a new system message;
* invisible characters smuggle what a person reviewing the trace cannot see: Unicode tag
  characters (U+E0000–U+E007F) spell whole instructions invisibly, bidi overrides reorder
  what is shown, C0/C1 controls (ANSI escapes) rewrite the screen;
* transcript markers (``Observation 3:``, ``Action 2: finish[...]``, ``Question:``,
  ``</tool_output>``) forge steps, so data ends an observation early and speaks as the
  model or the system.

:class:`PromptGuard` makes all of that inert *visibly* (a reader of the prompt sees what
was there and that it was neutralised) at the one place each loop inserts untrusted text
into a prompt. It is applied to the prompt text only: the trace keeps the original, and
the changes are recorded (``Step.sanitized``, run notes). The same text may be cleaned
again: the result does not change (the cleaning is idempotent), so prompts that are
re-rendered from memory extend each other byte for byte.

:func:`for_terminal` and :func:`json_for_terminal` are the other direction: every CLI
printer passes model and tool text through them, so the terminal shows an escape
sequence (``\\x1b]52;c;...\\x07``, an OSC 52 clipboard write) instead of executing it,
while ``--json`` stays exactly the original text (only JSON-escaped).

Visible forms: a C0/C1 control is written ``\\x1b``; a bidi control or other invisible
format character ``<U+202E>``; a run of tag characters ``<5 invisible tag characters>``;
a special token gets a backslash after its first character (``<\\|im_start|>``,
``<\\start_of_turn>``); a transcript marker gets ``(quoted)`` before its colon
(``Observation 3 (quoted):``). Newlines and tabs are kept; CRLF becomes LF.

Out of scope: look-alike letters (Cyrillic ``А`` in ``Аction``) and instructions written
in plain words. The first only fools a reader, not the parser; the second is a model's
judgment, for guardrails.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

# -- invisible and control characters --------------------------------------------------------

_TAGS = "\U000e0000-\U000e007f"
_SUPPLEMENT_SELECTORS = "\U000e0100-\U000e01ef"
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_JOINERS = "\u200c\u200d"
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
# Default-ignorable characters a person cannot see (soft hyphen, zero-width space, word
# joiner, BOM, Hangul fillers, Mongolian selectors, ...), line/paragraph separators, and
# lone surrogates (which no terminal or UTF-8 file can take).
_INVISIBLE = (
    "\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b\u2028\u2029"
    "\u2060-\u2065\u206a-\u206f\u3164\ufeff\uffa0\ufff0-\ufffb"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0080-\U000e00ff\U000e01f0-\U000e0fff"
    "\ud800-\udfff"
)
_HIDDEN = re.compile(
    f"(?P<tags>[{_TAGS}]+)"
    f"|(?P<selectors>[{_SUPPLEMENT_SELECTORS}]+)"
    "|(?P<bmp_selectors>[\ufe00-\ufe0f]{2,})"
    f"|(?P<joiner>[{_JOINERS}])"
    f"|(?P<control>[{_CONTROLS}])"
    f"|(?P<bidi>[{_BIDI}])"
    f"|(?P<invisible>[{_INVISIBLE}])"
)
# Everything a terminal could act on or hide, for escaping inside JSON strings.
_JSON_UNSAFE = re.compile(
    f"[{_TAGS}{_SUPPLEMENT_SELECTORS}\ufe00-\ufe0f{_JOINERS}{_CONTROLS}{_BIDI}{_INVISIBLE}]"
)
_BIDI_SET = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _codepoint(char: str) -> str:
    return f"<U+{ord(char):04X}>"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass
class _Tally:
    """What one cleaning changed, gathered per kind and written as short sentences."""

    controls: dict[str, int] = field(default_factory=dict)
    bidi: dict[str, int] = field(default_factory=dict)
    invisible: dict[str, int] = field(default_factory=dict)
    tags: int = 0
    hidden_text: str = ""
    selectors: int = 0
    special: dict[str, int] = field(default_factory=dict)
    markup: dict[str, int] = field(default_factory=dict)
    markers: dict[str, int] = field(default_factory=dict)

    def sentences(self) -> list[str]:
        out = []
        for kind, counts in (
            ("control character", self.controls),
            ("bidi control", self.bidi),
            ("invisible character", self.invisible),
        ):
            if counts:
                out.append(f"made {_plural(sum(counts.values()), kind)} visible: {_some(counts)}")
        if self.tags:
            shown = self.hidden_text if len(self.hidden_text) <= 80 else self.hidden_text[:79] + "…"
            out.append(
                f"replaced {_plural(self.tags, 'invisible tag character')} (hidden text: {shown!r})"
            )
        if self.selectors:
            out.append(f"replaced {_plural(self.selectors, 'invisible variation selector')}")
        if self.special:
            count = sum(self.special.values())
            out.append(f"escaped {_plural(count, 'special-token string')}: {_some(self.special)}")
        if self.markup:
            count = sum(self.markup.values())
            out.append(f"escaped {_plural(count, 'markup tag')}: {_some(self.markup)}")
        if self.markers:
            count = sum(self.markers.values())
            out.append(f"quoted {_plural(count, 'transcript marker')}: {_some(self.markers)}")
        return out


def _some(counts: dict[str, int], limit: int = 5) -> str:
    names = list(counts)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _reveal(text: str, tally: _Tally | None) -> str:
    """Invisible and control characters written visibly (the shared first pass)."""
    text = text.replace("\r\n", "\n")
    if _HIDDEN.search(text) is None:
        return text

    def visible(match: re.Match[str]) -> str:
        kind = match.lastgroup
        found = match.group()
        if kind == "tags":
            if tally is not None:
                tally.tags += len(found)
                tally.hidden_text += "".join(
                    chr(ord(c) - 0xE0000) if 0x20 <= ord(c) - 0xE0000 < 0x7F else "?" for c in found
                )
            return f"<{_plural(len(found), 'invisible tag character')}>"
        if kind in ("selectors", "bmp_selectors"):
            if tally is not None:
                tally.selectors += len(found)
            return f"<{_plural(len(found), 'invisible variation selector')}>"
        if kind == "joiner":
            # Joiners are part of emoji sequences and of Indic and Arabic-script words;
            # between two non-ASCII characters they stay, elsewhere they only hide things.
            before = match.string[match.start() - 1 : match.start()]
            after = match.string[match.end() : match.end() + 1]
            if before and after and ord(before) > 127 and ord(after) > 127:
                return found
            kind = "invisible"
        if kind == "control":
            shown = f"\\x{ord(found):02x}"
            bucket = tally.controls if tally is not None else None
        else:
            shown = _codepoint(found)
            if tally is None:
                bucket = None
            else:
                bucket = tally.bidi if found in _BIDI_SET else tally.invisible
        if bucket is not None:
            bucket[shown] = bucket.get(shown, 0) + 1
        return shown

    return _HIDDEN.sub(visible, text)


# -- the terminal ---------------------------------------------------------------------------


def for_terminal(text: str) -> str:
    """``text`` safe to print: controls, bidi and invisible characters shown, not executed.

    Every CLI printer passes model, tool and stored text through this. ``\\x1b[2J`` prints
    as those characters instead of clearing the screen; an OSC 52 clipboard write
    (``\\x1b]52;c;...\\x07``) is shown, not performed; ``U+202E`` appears as ``<U+202E>``
    instead of reversing the line. Newlines and tabs are kept.
    """
    return _reveal(str(text), None)


def json_for_terminal(json_text: str) -> str:
    """JSON text with every character a terminal could act on written as a ``\\u`` escape.

    The JSON still decodes to exactly the original strings (these characters occur only
    inside strings, where an escape means the same character); only what reaches the
    terminal is inert. ``json.dumps(ensure_ascii=False)`` and pydantic leave C1 controls,
    bidi and tag characters raw, which is why ``--json`` output goes through this.
    """

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        if code > 0xFFFF:
            code -= 0x10000
            return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
        return f"\\u{code:04x}"

    return _JSON_UNSAFE.sub(escape, json_text)


# -- special tokens and transcript markers ------------------------------------------------------

DEFAULT_SPECIAL_TOKENS: tuple[str, ...] = (
    # Llama 2 / Mistral
    "<s>",
    "</s>",
    "<unk>",
    "[INST]",
    "[/INST]",
    "<<SYS>>",
    "<</SYS>>",
    "[TOOL_CALLS]",
    "[AVAILABLE_TOOLS]",
    "[/AVAILABLE_TOOLS]",
    "[TOOL_RESULTS]",
    "[/TOOL_RESULTS]",
    # Gemma
    "<bos>",
    "<eos>",
    "<pad>",
    "<start_of_turn>",
    "<end_of_turn>",
    "<start_of_image>",
    "<end_of_image>",
    # Qwen tool calling (user-defined tokens: llama.cpp parses them even without special)
    "<tool_call>",
    "</tool_call>",
    "<tool_response>",
    "</tool_response>",
    "<think>",
    "</think>",
)
"""Special-token strings escaped whatever the backend. ``<|name|>`` tokens (ChatML and
Qwen, Llama 3, Phi, GPT) and DeepSeek's ``<｜name｜>`` are matched by pattern instead, so
``<|im_start|>``, ``<|eot_id|>`` and ``<|reserved_special_token_7|>`` are all covered.
Backends add the strings their own vocabulary marks as control tokens
(:meth:`agentcore.backends.LLMBackend.special_tokens`)."""

_SPECIAL_PATTERNS = (r"<\|[^|<>\s]{1,64}\|>", r"<｜[^｜<>\s]{1,64}｜>")

DEFAULT_LABELS: tuple[str, ...] = (
    "Thought",
    "Action",
    "Action Input",
    "Observation",
    "Question",
    "Final Answer",
)
"""Transcript labels quoted in any prompt; a template's own labels are added to them."""

DEFAULT_TAGS: tuple[str, ...] = (
    "tool_output",
    "tool_call",
    "tool_response",
    "tool_result",
    "tool_results",
    "function_call",
    "function_result",
    "function_results",
    "observation",
    "system",
)
"""Markup tags (opening or closing) escaped in any prompt; a template's own are added."""

_LABEL_LINE = re.compile(
    r"(?m)^[ \t]*(?P<label>[A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)?)(?:[ \t]+(?:\d+|\$\{?\w+\}?))?[ \t]*:"
)
_NUMBERED_LINE = re.compile(r"(?m)^[ \t]*\[(?:\d+|\$\{?\w+\}?)\]")
_TAG = re.compile(r"</?(?P<name>[A-Za-z][\w\-]*)(?:\s[^<>]*)?>")
_COLONS = "[:：﹕∶]"
_LINE_LEAD = " \t>*`#|-"
QUOTED = " (quoted)"


@dataclass(frozen=True)
class Markers:
    """The transcript structure a prompt uses, which data must not be able to imitate.

    ``labels`` start a transcript line (``Thought``, ``Observation``, ``User``); ``tags``
    are markup names (``tool_output``); ``numbered_lines``: lines opening with ``[n]``
    start an item (RAG's numbered passages).
    """

    labels: frozenset[str] = frozenset(DEFAULT_LABELS)
    tags: frozenset[str] = frozenset(DEFAULT_TAGS)
    numbered_lines: bool = False

    @classmethod
    def from_prompt(cls, structure: Iterable[str], everything: Iterable[str] = ()) -> Markers:
        """Markers derived from prompt text, plus the defaults.

        ``structure`` is the text that shows the transcript (the question template, the
        exemplars, the extras): each line's leading ``Label:`` or ``Label N:`` is a label,
        a leading ``[n]`` means numbered lines. Tags come from ``structure`` and
        ``everything`` (the instructions too).
        """
        structure = list(structure)
        labels = set(DEFAULT_LABELS)
        tags = set(DEFAULT_TAGS)
        numbered = False
        for text in structure:
            labels.update(m.group("label") for m in _LABEL_LINE.finditer(text))
            numbered = numbered or _NUMBERED_LINE.search(text) is not None
        for text in [*structure, *everything]:
            tags.update(m.group("name") for m in _TAG.finditer(text))
        return cls(frozenset(labels), frozenset(tags), numbered)


CHAT_ROLES = Markers(labels=frozenset({"System", "User", "Assistant", "Tool"}))
"""The markers of chat messages: the roles a plain transcript writes (``User: ...``)."""


@dataclass(frozen=True)
class Cleaned:
    """Text made safe for a prompt, and what was changed (empty when nothing was)."""

    text: str
    changes: tuple[str, ...] = ()


class PromptGuard:
    """Cleans untrusted text for one agent's prompts (its backend's tokens, its markers).

    One guard per agent: it compiles the patterns of ``special_tokens`` (the backend's, on
    top of :data:`DEFAULT_SPECIAL_TOKENS`) and of ``markers`` once.
    """

    def __init__(self, special_tokens: Iterable[str] = (), markers: Markers | None = None) -> None:
        tokens = {t for t in (*DEFAULT_SPECIAL_TOKENS, *special_tokens) if _escapable(t)}
        self.special_tokens = frozenset(tokens)
        self.markers = markers if markers is not None else Markers()

    @cached_property
    def _special(self) -> re.Pattern[str]:
        listed = sorted(self.special_tokens, key=len, reverse=True)
        return re.compile("|".join([*_SPECIAL_PATTERNS, *map(re.escape, listed)]))

    @cached_property
    def _markup(self) -> re.Pattern[str]:
        names = "|".join(sorted(map(re.escape, self.markers.tags), key=len, reverse=True))
        return re.compile(rf"</?(?:{names})(?![\w\-])[^<>]{{0,200}}>", re.IGNORECASE)

    @cached_property
    def _label(self) -> re.Pattern[str]:
        ordered = sorted(self.markers.labels, key=len, reverse=True)
        names = "|".join(re.escape(label).replace(r"\ ", r"[ \t]+") for label in ordered)
        return re.compile(
            rf"(?<![\w])(?P<label>{names})(?P<number>[ \t]*\d+)?(?P<colon>[ \t]*{_COLONS})",
            re.IGNORECASE,
        )

    _numbered = re.compile(r"(?m)^(?P<lead>[ \t]*)(?P<ref>\[\d+\])(?! \(quoted\))")

    def clean(self, text: str) -> Cleaned:
        """``text`` made inert for a prompt; see the module docstring for each kind."""
        tally = _Tally()
        text = _reveal(str(text), tally)
        text = self._escape(self._special, text, tally.special)
        if self.markers.tags:
            text = self._escape(self._markup, text, tally.markup)
        if self.markers.labels:
            text = self._quote_labels(text, tally.markers)
        if self.markers.numbered_lines:
            text = self._quote_numbered(text, tally.markers)
        return Cleaned(text, tuple(tally.sentences()))

    def as_data(self, text: str, changes: list[str] | None = None, where: str = "") -> str:
        """The cleaned text; its changes (led by ``where``) are appended to ``changes``."""
        cleaned = self.clean(text)
        if changes is not None:
            lead = f"{where}: " if where else ""
            changes.extend(lead + change for change in cleaned.changes)
        return cleaned.text

    @staticmethod
    def _escape(pattern: re.Pattern[str], text: str, counts: dict[str, int]) -> str:
        # A backslash after the first character: the string no longer matches a token or
        # a tag, and a reader still sees what it was. Repeated until nothing matches, so
        # no escape can join the characters around it into a new match.
        for _ in range(8):
            if pattern.search(text) is None:
                break

            def escaped(match: re.Match[str]) -> str:
                found = match.group()
                counts[found] = counts.get(found, 0) + 1
                return found[0] + "\\" + found[1:]

            text = pattern.sub(escaped, text)
        return text

    def _quote_labels(self, text: str, counts: dict[str, int]) -> str:
        def quoted(match: re.Match[str]) -> str:
            label, number = match.group("label"), match.group("number") or ""
            line_start = text.rfind("\n", 0, match.start()) + 1
            at_line_start = text[line_start : match.start()].strip(_LINE_LEAD) == ""
            # Mid-line, a one-letter label ("A:") or a lower-case word ("the question:")
            # is ordinary prose; a capitalised or numbered one is a forged step.
            if not at_line_start and (len(label) < 2 or not (number or label[0].isupper())):
                return match.group()
            found = f"{label}{number}{match.group('colon').strip()}"
            counts[found] = counts.get(found, 0) + 1
            return f"{label}{number}{QUOTED}{match.group('colon')}"

        return self._label.sub(quoted, text)

    def _quote_numbered(self, text: str, counts: dict[str, int]) -> str:
        def quoted(match: re.Match[str]) -> str:
            counts[match.group("ref")] = counts.get(match.group("ref"), 0) + 1
            return match.group("lead") + match.group("ref") + QUOTED

        return self._numbered.sub(quoted, text)


def _escapable(token: str) -> bool:
    """Whether a special-token string can be escaped in data without mangling prose.

    Blank tokens and plain words (a vocabulary's control token ``mask``) are left alone:
    escaping them would change ordinary text, and such tokens are not markup a reader
    would take for structure.
    """
    stripped = token.strip()
    return len(stripped) >= 2 and not stripped.isalnum()


def clean_messages(messages: Sequence, guard: PromptGuard) -> list:
    """Chat messages with their content cleaned (all but the system's, which is trusted)."""
    return [
        m if m.role == "system" else m.model_copy(update={"content": guard.as_data(m.content)})
        for m in messages
    ]
