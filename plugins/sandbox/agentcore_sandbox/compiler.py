"""Compiling a program under the sandbox's RestrictedPython policy (worker side).

RestrictedPython's transformer does the heavy lifting: it refuses private names
and introspection attributes at compile time and rewrites attribute/item access,
iteration and ``print`` into guard calls (see :mod:`agentcore_sandbox.policy`).
On top of it this module:

* rewrites ``a ** b`` into ``_pow_(a, b)`` so an integer power too large to
  compute is refused before the interpreter spends minutes on it;
* passes every exception a handler binds through ``_exception_``, which
  strips the objects trusted code put in it;
* accepts annotated assignments (``total: int = 0``), dropping the annotation,
  which is never evaluated, and augmented assignment of items and attributes
  (``counts[word] += 1``), which RestrictedPython refuses, through the guards;
* tells a syntax error (``compile_error``) from a policy refusal
  (``forbidden``) and words the refusal by what was refused.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from types import CodeType

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_exec
from RestrictedPython.compile import compile_restricted_eval
from RestrictedPython.transformer import (
    INSPECT_ATTRIBUTES,
    IOPERATOR_TO_STR,
    copy_locations,
)

FILENAME = "<program>"


class SandboxTransformer(RestrictingNodeTransformer):
    """RestrictedPython's policy plus a guarded ``**`` and annotated assignments."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        if not isinstance(node.op, ast.Pow):
            return node
        call = _call("_pow_", node.left, node.right)
        copy_locations(call, node)
        return call

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST | list[ast.AST]:
        """Allow ``counts[k] += 1`` and ``self.total += x`` (RestrictedPython refuses both).

        ``obj[key] op= value`` becomes, with the object and key evaluated once::

            _tmpA = obj; _tmpB = key
            _write_(_tmpA)[_tmpB] = _inplacevar_("op=", _getitem_(_tmpA, _tmpB), value)

        and ``obj.attr op= value`` the same with ``_getattr_``. Every access still
        goes through the guards; slices keep RestrictedPython's refusal.
        """
        target = node.target
        if isinstance(target, ast.Name) or (
            isinstance(target, ast.Subscript)
            and any(isinstance(n, ast.Slice) for n in ast.walk(target.slice))
        ):
            return super().visit_AugAssign(node)
        if isinstance(target, ast.Attribute) and (
            target.attr.startswith("_") or target.attr in INSPECT_ATTRIBUTES
        ):
            self.error(node, f'"{target.attr}" is an invalid attribute name.')
            return node
        operator = IOPERATOR_TO_STR[type(node.op)]
        holder = self.gen_tmp_name()
        statements: list[ast.stmt] = [_assign(holder, self.visit(target.value))]
        if isinstance(target, ast.Subscript):
            key = self.gen_tmp_name()
            statements.append(_assign(key, self.visit(target.slice)))
            current: ast.expr = _call("_getitem_", _load(holder), _load(key))
            store: ast.expr = ast.Subscript(
                value=_call("_write_", _load(holder)), slice=_load(key), ctx=ast.Store()
            )
        else:
            current = _call("_getattr_", _load(holder), ast.Constant(target.attr))
            store = ast.Attribute(
                value=_call("_write_", _load(holder)), attr=target.attr, ctx=ast.Store()
            )
        updated = _call("_inplacevar_", ast.Constant(operator), current, self.visit(node.value))
        statements.append(ast.Assign(targets=[store], value=updated))
        for statement in statements:
            copy_locations(statement, node)
        return statements

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        """``except E as e:`` binds ``e = _exception_(e)`` first (``policy.guard_exception``)."""
        node = super().visit_ExceptHandler(node)
        if node.name:
            guard = _assign(node.name, _call("_exception_", _load(node.name)))
            copy_locations(guard, node)
            node.body.insert(0, guard)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST | list[ast.AST]:
        if node.value is None:
            placeholder = ast.Pass()
            copy_locations(placeholder, node)
            return placeholder
        assign = ast.Assign(targets=[node.target], value=node.value)
        copy_locations(assign, node)
        return self.visit_Assign(assign)


def _load(name: str) -> ast.Name:
    return ast.Name(name, ast.Load())


def _assign(name: str, value: ast.expr) -> ast.Assign:
    return ast.Assign(targets=[ast.Name(name, ast.Store())], value=value)


def _call(function: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=_load(function), args=list(args), keywords=[])


class ProgramRejected(Exception):
    """The program does not compile, or compiles to something the policy refuses."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass
class CompiledProgram:
    """The module code, and the final expression to evaluate for a script's value."""

    body: CodeType
    last_expression: CodeType | None


_REFUSALS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r'"(?P<n>[^"]+)" is an invalid attribute name'), "attribute {n!r} is not allowed"),
    (re.compile(r'"(?P<n>[^"]+)" is a restricted name'), "attribute {n!r} is not allowed"),
    (re.compile(r'"(?P<n>[^"]+)" is an invalid variable name'), "name {n!r} is not allowed"),
    (re.compile(r'"(?P<n>[^"]+)" is a reserved name'), "name {n!r} is not allowed"),
    (re.compile(r"(?P<n>Exec|Eval) calls are not allowed"), "{low}() is not allowed"),
    (re.compile(r"(?P<n>\w+) statements are not allowed"), "{n} statements are not allowed"),
    (re.compile(r"^(?:Line \d+: )?(?P<n>.*?)\.?$"), "{n}"),
)


def describe_refusal(error: str) -> str:
    """Word one RestrictedPython error by what was refused, keeping its line number."""
    line = re.match(r"Line (\d+): ", error)
    where = f" (line {line.group(1)})" if line else ""
    for pattern, template in _REFUSALS:
        found = pattern.search(error)
        if found:
            name = found.group("n")
            return template.format(n=name, low=name.lower()) + where
    return error


def compile_program(
    code: str, *, value_of_last_expression: bool = False, restricted: bool = True
) -> CompiledProgram:
    """Compile ``code`` or raise :class:`ProgramRejected` saying why not.

    ``restricted=False`` compiles plain Python (tests of the kernel layers only).
    """
    try:
        tree = ast.parse(code, filename=FILENAME, mode="exec")
    except SyntaxError as exc:
        where = f"line {exc.lineno}: " if exc.lineno else ""
        text = f" -> {exc.text.strip()[:120]}" if exc.text and exc.text.strip() else ""
        raise ProgramRejected("compile_error", f"{where}SyntaxError: {exc.msg}{text}") from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise ProgramRejected(
            "compile_error", f"the program cannot be parsed ({type(exc).__name__})"
        ) from None

    last: ast.Expression | None = None
    if value_of_last_expression and tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(body=tree.body.pop().value)

    if not restricted:
        body = compile(tree, FILENAME, "exec")
        tail = compile(last, FILENAME, "eval") if last is not None else None
        return CompiledProgram(body, tail)
    try:
        compiled = compile_restricted_exec(tree, filename=FILENAME, policy=SandboxTransformer)
        errors = list(compiled.errors)
        last_code = None
        if last is not None and not errors:
            evaluated = compile_restricted_eval(last, filename=FILENAME, policy=SandboxTransformer)
            errors.extend(evaluated.errors)
            last_code = evaluated.code
    except RecursionError:
        raise ProgramRejected("compile_error", "the program is nested too deeply") from None
    except SyntaxError as exc:  # raised by compile() after transformation, e.g. bad break
        raise ProgramRejected(
            "compile_error", f"line {exc.lineno}: SyntaxError: {exc.msg}"
        ) from None
    if errors:
        refusals = list(dict.fromkeys(describe_refusal(e) for e in errors))
        raise ProgramRejected("forbidden", "; ".join(refusals[:5]))
    assert compiled.code is not None
    return CompiledProgram(compiled.code, last_code)
