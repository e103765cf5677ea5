"""Which modules a sandboxed program may import, member by member, and why.

Plain data, importable without RestrictedPython: the ``python`` tool's
description lists the allowed modules from here, and the worker's policy
(:mod:`agentcore_sandbox.policy`) builds the module views from it.

Every module is an **allow-list of members**, reviewed as an object graph: what
a program can reach from each member through names that do not start with
``_`` (the guards refuse those everywhere). A member is allowed only if nothing
reachable from it runs program-controlled text as code or as a format string
with attribute access, hands out a module, frame, code object or real builtin,
or changes state outside the job. Each module's ``why`` says what was found.
``denied`` names public members left out on purpose, with the reason the program
is told if it asks. ``tests/test_sandbox_rules.py`` checks that every public
member of every module is either allowed or denied, so nothing is let in by
default when Python grows a module.

Behind the member lists stand three guards that hold for *every* object
(:mod:`agentcore_sandbox.policy`): the value screen (no module, frame, code
object, traceback, real builtin or module namespace crosses an attribute or
item access, or rides in an exception), format strings resolved through the
guards, and no attribute access at all on ``typing`` objects. And since each job
runs in a process of its own, forked from a template no program ran in, a
member's mutable state (``random``'s generator, ``decimal``'s context, the ABC
registries behind ``typing``) can only affect the job that changed it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass(frozen=True)
class ModuleRule:
    """The members a program sees of one module, and the review behind the choice."""

    members: tuple[str, ...]
    why: str
    denied: dict[str, str] = field(default_factory=dict)
    unlisted: str = ""
    """The reason for every public member neither allowed nor denied by name (if any)."""


_MATH_COMMON = _names(
    "acos acosh asin asinh atan atanh cos cosh e exp inf isclose isfinite isinf isnan log "
    "log10 nan pi sin sinh sqrt tan tanh tau"
)

MODULE_RULES: dict[str, ModuleRule] = {
    "math": ModuleRule(
        (
            *_MATH_COMMON,
            *_names(
                "atan2 cbrt ceil comb copysign degrees dist erf erfc exp2 expm1 fabs factorial "
                "floor fmod frexp fsum gamma gcd hypot isqrt lcm ldexp lgamma log1p log2 modf "
                "nextafter perm pow prod radians remainder trunc ulp"
            ),
        ),
        "C functions of numbers returning numbers, and float constants. Huge arguments "
        "(factorial, comb) cost time and memory only, which the CPU and memory limits bound.",
    ),
    "cmath": ModuleRule(
        (*_MATH_COMMON, *_names("infj nanj phase polar rect")),
        "C functions of complex numbers; constants.",
    ),
    "fractions": ModuleRule(
        ("Fraction",),
        "Fraction is plain arithmetic on two ints; its class attributes are methods.",
    ),
    "decimal": ModuleRule(
        _names(
            "Clamped Context ConversionSyntax Decimal DecimalException DecimalTuple "
            "DivisionByZero DivisionImpossible DivisionUndefined FloatOperation HAVE_CONTEXTVAR "
            "HAVE_THREADS Inexact InvalidContext InvalidOperation MAX_EMAX MAX_PREC MIN_EMIN "
            "MIN_ETINY Overflow ROUND_05UP ROUND_CEILING ROUND_DOWN ROUND_FLOOR ROUND_HALF_DOWN "
            "ROUND_HALF_EVEN ROUND_HALF_UP ROUND_UP Rounded Subnormal Underflow getcontext "
            "localcontext setcontext"
        ),
        "The C implementation (_decimal): numbers, contexts (prec, rounding, flags, traps "
        "— writable, and the job's own), and signal classes that exceptions carry in args.",
        dict.fromkeys(
            ("BasicContext", "DefaultContext", "ExtendedContext"),
            "it is the template new contexts copy; use getcontext() or localcontext()",
        ),
    ),
    "statistics": ModuleRule(
        _names(
            "NormalDist StatisticsError correlation covariance fmean geometric_mean harmonic_mean "
            "linear_regression mean median median_grouped median_high median_low mode multimode "
            "pstdev pvariance quantiles stdev variance"
        ),
        "Pure-Python functions over the program's own data; NormalDist holds two floats.",
    ),
    "datetime": ModuleRule(
        _names("MAXYEAR MINYEAR UTC date datetime time timedelta timezone tzinfo"),
        "The C implementation. strftime/strptime format codes name fields, not attributes; "
        "strptime's helper module is imported by the template, never by the program.",
    ),
    "itertools": ModuleRule(
        _names(
            "accumulate chain combinations combinations_with_replacement compress count cycle "
            "dropwhile filterfalse groupby islice pairwise permutations product repeat starmap "
            "takewhile tee zip_longest"
        ),
        "C iterators over the program's own values.",
    ),
    "collections": ModuleRule(
        _names("ChainMap Counter OrderedDict UserDict UserList defaultdict deque namedtuple"),
        "Containers of the program's own values. namedtuple validates its field names as "
        "identifiers before building the class; the helpers it adds start with '_'.",
        {"UserString": "its format() and format_map() run str.format on the program's string"},
    ),
    "functools": ModuleRule(
        _names(
            "cache cached_property cmp_to_key lru_cache partial partialmethod reduce total_ordering"
        ),
        "Wrappers that call the program's own functions; their attributes (func, args, "
        "cache_info) are the program's own values.",
        {
            "wraps": "it copies private attributes between objects",
            "update_wrapper": "it copies private attributes between objects",
            "singledispatch": "it evaluates string annotations as unrestricted code",
            "singledispatchmethod": "it evaluates string annotations as unrestricted code",
            "WRAPPER_ASSIGNMENTS": "it only serves wraps()",
            "WRAPPER_UPDATES": "it only serves wraps()",
        },
    ),
    "re": ModuleRule(
        _names(
            "A ASCII DOTALL I IGNORECASE L LOCALE M MULTILINE NOFLAG S U UNICODE VERBOSE X Match "
            "Pattern compile error escape findall finditer fullmatch match purge search split sub "
            "subn"
        ),
        "The C regex engine. Replacement templates (\\g<name>) name groups only. "
        "Catastrophic backtracking costs CPU time, which the limits bound.",
        {
            "template": "deprecated since Python 3.11",
            "RegexFlag": "use the flag constants (re.I, re.M, ...)",
        },
    ),
    "random": ModuleRule(
        _names(
            "Random SystemRandom betavariate choice choices expovariate gammavariate gauss "
            "getrandbits getstate lognormvariate normalvariate paretovariate randbytes randint "
            "random randrange sample seed setstate shuffle triangular uniform vonmisesvariate "
            "weibullvariate"
        ),
        "The module's generator is reseeded in every job process; seed()/setstate() change "
        "only the job's own copy.",
    ),
    "string": ModuleRule(
        _names(
            "Template ascii_letters ascii_lowercase ascii_uppercase capwords digits hexdigits "
            "octdigits printable punctuation whitespace"
        ),
        "Constant strings and capwords. Template substitutes $names by item lookup in the "
        "mapping given, never by attribute access.",
        {"Formatter": "its format methods reach attributes unguarded"},
    ),
    "heapq": ModuleRule(
        _names("heapify heappop heappush heappushpop heapreplace merge nlargest nsmallest"),
        "C functions over the program's own lists.",
    ),
    "bisect": ModuleRule(
        _names("bisect bisect_left bisect_right insort insort_left insort_right"),
        "C functions over the program's own lists.",
    ),
    "operator": ModuleRule(
        _names(
            "abs add and_ call concat contains countOf delitem eq floordiv ge getitem gt iadd "
            "iand iconcat ifloordiv ilshift imatmul imod imul index indexOf inv invert ior ipow "
            "irshift is_ is_not isub itemgetter itruediv ixor le length_hint lshift lt matmul mod "
            "mul ne neg not_ or_ pos pow rshift setitem sub truediv truth xor"
        ),
        "Operators as functions. The ones that read, write or delete items and raise powers "
        "are replaced by the guarded versions the operators themselves use.",
        {
            "attrgetter": "it reads attributes unguarded",
            "methodcaller": "it calls methods by name unguarded",
        },
    ),
    "json": ModuleRule(
        ("JSONDecodeError", "dumps", "loads"),
        "Strings in, plain values out; hooks (default=, object_hook=) call the program's own "
        "functions with its own values.",
        {
            "dump": "there are no files to write",
            "load": "there are no files to read",
            "JSONDecoder": "use json.loads",
            "JSONEncoder": "use json.dumps(default=...)",
        },
    ),
    "typing": ModuleRule(
        _names(
            "Any Callable Dict FrozenSet Iterable Iterator List Mapping Optional Sequence Set "
            "Tuple Union"
        ),
        "For annotations only: typing objects forward attribute access to the ABCs they "
        "stand for (typing.Sequence.register would change collections.abc), so no attribute "
        "of any typing object is reachable; subscription (List[int]) works.",
        {"get_type_hints": "it evaluates annotations as unrestricted code"},
        unlisted="only the common annotation names are available",
    ),
    "__future__": ModuleRule(
        ("annotations",),
        "Compiler flags.",
        unlisted="only 'annotations' changes anything in Python 3",
    ),
}

ALLOWED_MODULES: tuple[str, ...] = tuple(sorted(n for n in MODULE_RULES if n != "__future__"))
