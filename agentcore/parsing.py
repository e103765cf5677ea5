"""All parsing of model output, in one tolerant place.

Small models rarely write the exact format: they run on after an action
(``Finish[x]Question: ...``), forget the step number, change the case of a
tool's name, wrap the action in backticks, or write ``tool(...)`` instead of
``tool[...]``. The parser accepts all of that and cuts an action at its closing
bracket. What it cannot read becomes a :class:`ParseError` whose message tells
the model the expected format; the loop turns it into an observation.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agentcore.models import Action, ToolSpec

FINISH = "finish"

_NAME = re.compile(r"\s*[`'\"*]*([A-Za-z_][\w\-\.]*)[`'\"*]*\s*")
_OPENERS = {"[": "]", "(": ")", "{": "}"}


@dataclass(frozen=True)
class StepLabels:
    """The labels of a step's lines, as the prompt writes them (``Thought 2:``, ``Action 2:``).

    The loops read them from the prompt file (:meth:`agentcore.prompts.PromptTemplate.label`),
    so a prompt with its own labels is parsed, constrained and displayed by its own words.
    """

    thought: str = "Thought"
    action: str = "Action"
    numbered: bool = True
    """Whether the labels carry the step number (``Action 2:``) or not (``Action:``)."""

    def lead(self, label: str, step_index: int) -> str:
        """``label`` as a line starts with it at step ``step_index``: ``Action 2:``/``Action:``."""
        return f"{label} {step_index}:" if self.numbered else f"{label}:"


DEFAULT_LABELS = StepLabels()


@functools.cache
def _label_line(label: str, at_line_start: bool) -> re.Pattern[str]:
    """A label line in any case, with or without its number: ``action 2:``, ``**Action:**``."""
    lead = r"(?im)^[ \t>*`#]*" if at_line_start else r"(?i)^\s*"
    return re.compile(lead + re.escape(label) + r"(?:\s*\d+)?\s*[*`]*\s*[:：]\s*")


@dataclass(frozen=True)
class ParsedStep:
    """What one completion said: its thought and its action (or why there is none)."""

    thought: str
    action: Action | None
    consumed: str
    """The prefix of the completion up to and including the action, which is what
    the loop keeps in the transcript (anything the model wrote after it is
    dropped, so it cannot pollute the next prompt)."""
    error: str | None = None


class ParseError(ValueError):
    """The model's output has no usable action; the message says what to write."""


def parse_react_step(
    text: str, tools: Mapping[str, ToolSpec], labels: StepLabels = DEFAULT_LABELS
) -> ParsedStep:
    """Split a completion into thought and action.

    ``text`` is what the model wrote after the prompt's trailing ``Thought N:``.
    ``tools`` maps tool names to specs; ``finish`` is always valid.
    """
    match = _label_line(labels.action, True).search(text)
    if match is None:
        # Some models skip the label and write the action on its own line.
        bare = _find_bare_action(text, tools)
        if bare is None:
            thought = _clean_thought(text, labels)
            help_text = _format_help(tools, f"no {labels.action} line", labels)
            return ParsedStep(thought, None, text, help_text)
        start = bare
        thought_text = text[:start]
        action_start = start
    else:
        thought_text = text[: match.start()]
        action_start = match.end()
    thought = _clean_thought(thought_text, labels)
    try:
        action, end = parse_action(text[action_start:], tools, labels)
    except ParseError as exc:
        line_end = text.find("\n", action_start)
        consumed = text if line_end == -1 else text[:line_end]
        return ParsedStep(thought, None, consumed, str(exc))
    return ParsedStep(thought, action, text[: action_start + end])


def parse_action(
    text: str, tools: Mapping[str, ToolSpec], labels: StepLabels = DEFAULT_LABELS
) -> tuple[Action, int]:
    """Parse ``name[argument]`` (or ``name{json}``, ``name(...)``) at the start of ``text``.

    Returns the action and the index just past its closing bracket. Tool names
    match case-insensitively; the argument of a single-string tool is free text,
    that of a multi-argument tool a JSON object.
    """
    name_match = _NAME.match(text)
    if name_match is None:
        raise ParseError(_format_help(tools, "the action has no tool name", labels))
    raw_name = name_match.group(1)
    canonical = _canonical_tool(raw_name, tools)
    if canonical is None:
        raise ParseError(f"Unknown action {raw_name!r}. Valid actions: {_valid_list(tools)}.")
    rest_start = name_match.end()
    rest = text[rest_start:]
    if not rest or rest[0] not in _OPENERS:
        colon = re.match(r"\s*[:=]\s*(.+)", rest)
        if colon and "\n" not in colon.group(1).strip():
            argument = colon.group(1).strip()
            end = rest_start + colon.end()
        else:
            raise ParseError(_format_help(tools, f"{raw_name} needs its input in brackets", labels))
    else:
        argument, closed = _bracketed(rest)
        end = rest_start + closed
    argument = _strip_quotes(argument.strip())
    action = _build_action(canonical, argument, tools, text[:end])
    return action, end


def _build_action(tool: str, argument: str, tools: Mapping[str, ToolSpec], raw: str) -> Action:
    if tool == FINISH:
        return Action(tool=FINISH, arguments={"answer": argument}, raw=raw.strip())
    spec = tools[tool]
    if spec.string_argument is not None:
        if argument.startswith("{"):
            try:
                decoded = json.loads(argument)
            except json.JSONDecodeError:
                decoded = None
            if isinstance(decoded, dict) and set(decoded) == {spec.string_argument}:
                return Action(tool=tool, arguments=decoded, raw=raw.strip())
        return Action(tool=tool, arguments={spec.string_argument: argument}, raw=raw.strip())
    try:
        decoded = json.loads(argument) if argument else {}
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"The input of {tool} must be a JSON object, e.g. {spec.usage()}; "
            f"could not read it ({exc.msg} at character {exc.pos})."
        ) from exc
    if not isinstance(decoded, dict):
        raise ParseError(f"The input of {tool} must be a JSON object, e.g. {spec.usage()}.")
    return Action(tool=tool, arguments=decoded, raw=raw.strip())


def _bracketed(text: str) -> tuple[str, int]:
    """The content of the bracket group opening ``text`` and the index past its close.

    Brackets inside JSON strings are skipped. An unclosed group takes the rest
    of the line (models often forget the final bracket before a newline).
    """
    opener = text[0]
    closer = _OPENERS[opener]
    depth = 0
    in_string = False
    escaped = False
    json_like = text[1:].lstrip().startswith(("{", "[")) or opener == "{"
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"' and json_like:
            in_string = True
        elif char == opener:
            depth += 1
        elif char == closer:
            depth -= 1
            if depth == 0:
                content = text[1:index]
                if opener == "{":
                    content = text[: index + 1]
                return content, index + 1
        elif char == "\n" and not json_like:
            break
    line_end = text.find("\n")
    line = text if line_end == -1 else text[:line_end]
    content = line[1:].rstrip().rstrip(closer)
    if opener == "{":
        content = "{" + content
    return content, len(line)


def _canonical_tool(name: str, tools: Mapping[str, ToolSpec]) -> str | None:
    lowered = name.lower().replace("-", "_")
    if lowered in (FINISH, "final_answer", "answer"):
        return FINISH
    for tool_name in tools:
        if tool_name.lower() == lowered:
            return tool_name
    return None


def _find_bare_action(text: str, tools: Mapping[str, ToolSpec]) -> int | None:
    names = [FINISH, *tools]
    pattern = re.compile(
        r"(?im)^[ \t`*]*(" + "|".join(re.escape(n) for n in names) + r")\s*[\[\({]"
    )
    match = pattern.search(text)
    return None if match is None else match.start(1)


def _clean_thought(text: str, labels: StepLabels) -> str:
    text = _label_line(labels.thought, False).sub("", text.strip())
    return " ".join(text.split())


def _strip_quotes(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"`":
        return text[1:-1].strip()
    return text


def _valid_list(tools: Mapping[str, ToolSpec]) -> str:
    usages = [spec.usage() for spec in tools.values()]
    return ", ".join([*usages, "finish[answer]"])


def _format_help(tools: Mapping[str, ToolSpec], what: str, labels: StepLabels) -> str:
    return (
        f"Invalid format ({what}). Write one line '{labels.thought}: ...' and then one line "
        f"'{labels.action}: tool[input]' using one of: {_valid_list(tools)}."
    )


# --- PAL --------------------------------------------------------------------------------

_FENCE = re.compile(r"```(?:python|py)?\s*\n(.*?)(?:```|\Z)", re.DOTALL)


def extract_program(text: str, entrypoint: str = "solution", prefix: str = "") -> str:
    """The Python program in a PAL completion.

    ``prefix`` is any code the prompt already started (e.g. ``def solution():``)
    and the model continued. Code fences are removed; text after the program
    (a new ``Q:`` line, commentary) is dropped at the first non-indented line
    that is not code.
    """
    source = prefix + text
    fenced = _FENCE.search(source)
    if fenced and f"def {entrypoint}" in fenced.group(1):
        source = fenced.group(1)
    start = source.find(f"def {entrypoint}")
    if start == -1:
        raise ParseError(
            f"No program found: write a Python function `def {entrypoint}():` that "
            "returns the answer."
        )
    header_start = source.rfind("\n", 0, start) + 1
    preamble = _leading_imports(source[:header_start])
    lines = source[header_start:].splitlines()
    kept: list[str] = [lines[0]]
    for line in lines[1:]:
        if line.strip().startswith("```"):
            break
        if line and not line[0].isspace() and not _is_top_level_code(line):
            break
        kept.append(line)
    program = "\n".join(kept).rstrip()
    return (preamble + "\n" + program).strip() + "\n"


def _leading_imports(text: str) -> str:
    lines = [line for line in text.splitlines() if re.match(r"^(import|from)\s+\w+", line.strip())]
    return "\n".join(lines)


def _is_top_level_code(line: str) -> bool:
    return bool(re.match(r"^(def |import |from |@|#|[A-Za-z_]\w*\s*=)", line))


def format_answer(value: object) -> str:
    """Render a program's value as an answer: whole floats without ``.0``, lists joined."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.6g}" if abs(value) < 1e15 else str(value)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ", ".join(format_answer(v) for v in value)
    return str(value)
