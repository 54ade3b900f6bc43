"""Reading numbers: the decimal convention of each numeric column, decided from its values (``1234.56``,
``1,234.56``, ``1.234,56``, ``1234,56``, ``1 234,56`` with a space, no-break or narrow no-break space, Swiss
``1'234.56``), and the DuckDB SQL that reads a value under it — currency signs and ISO codes before or after, a
leading or trailing minus, parentheses for negatives — or names why it cannot (a value that contradicts the
column's convention, an ambiguous ``1,234`` the file cannot settle, a non-finite or absurd number).

A value's separators fit the decimal-point grammar, the decimal-comma grammar, both or neither. ``12,5`` and
``1.234,56`` fit only the comma; ``12.5`` and ``1,234,567`` only the point; ``1,234`` and ``1.234`` both (a thousands
separator or a decimal mark?); plain digits fit both and say nothing. The column takes the convention most of its
telling values show; an explicit ``decimal:`` in the config always wins.

>>> import duckdb
>>> con = duckdb.connect()
>>> _ = con.execute("CREATE TABLE s AS SELECT * FROM (VALUES ('1.234,56'), ('12,5'), ('1 234,56'), ('(3,00)')) t(v)")
>>> conv = decide_convention(con, "s", "v", "v", explicit=None, hint=None)
>>> conv.decimal, conv.note_kind
(',', "comma decimals, '.' and ' ' thousands")
>>> con.execute(f"SELECT {number_value('v', conv)} FROM s").fetchall()
[(1234.56,), (12.5,), (1234.56,), (-3.0,)]
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import quote_text

# the characters that group thousands: space, no-break space, narrow no-break space; Swiss apostrophes
SPACES = " \u00a0\u202f"
_S = f"[{SPACES}]"
_Q = "['’]"
_EXP = "([eE][-+]?[0-9]+)?"
# the number inside a value: digits with separators and an exponent (currency and signs around it)
CORE_RE = f"[.,]?[0-9]([0-9.,'’{SPACES}]*[0-9])?{_EXP}"
DOT_RE = f"^(([0-9]+|[0-9]{{1,3}}(,[0-9]{{3}})+|[0-9]{{1,3}}({_S}[0-9]{{3}})+|[0-9]{{1,3}}({_Q}[0-9]{{3}})+)" \
         f"(\\.[0-9]+)?|\\.[0-9]+){_EXP}$"
COMMA_RE = f"^(([0-9]+|[0-9]{{1,3}}(\\.[0-9]{{3}})+|[0-9]{{1,3}}({_S}[0-9]{{3}})+)(,[0-9]+)?|,[0-9]+){_EXP}$"
PLAIN_RE = f"^[0-9]{{1,3}}({_S}[0-9]{{3}})*$|^[0-9]+$"
# a value is a number when, around the digits, it carries at most a currency sign or ISO code, a sign, parentheses
SHAPE_RE = (f"^\\s*\\(?\\s*([A-Z]{{3}}\\s*|[^\\w\\s]{{1,3}}\\s*){{0,2}}\\(?\\s*{CORE_RE}\\s*"
            f"([A-Z]{{3}}|元|[^\\w\\s]{{1,3}}|\\s){{0,4}}$")


@dataclass
class Convention:
    """How one numeric column is read: its decimal mark, whether values that fit both marks (``1,234``) are
    refused (``ambiguous``), and what to tell the consultant (``notes``)."""
    decimal: str = "."
    explicit: bool = False
    ambiguous: bool = False
    note_kind: str | None = None
    notes: list[str] = field(default_factory=list)


def core(v: str) -> str:
    """SQL: the number inside a value (digits and separators, without currency, sign or parentheses)."""
    return f"regexp_extract({v}, {quote_text(CORE_RE)}, 0)"


def fits(v: str, decimal: str) -> str:
    """SQL: whether a value's separators fit the decimal ``decimal`` ('.' or ',')."""
    return f"regexp_matches({core(v)}, {quote_text(DOT_RE if decimal == '.' else COMMA_RE)})"


def is_negative(v: str) -> str:
    """SQL: a minus before the digits, after them ("12.50-", as some ledgers print), or parentheses around them."""
    return (f"(regexp_matches({v}, '^[^0-9]*-') OR regexp_matches({v}, '[0-9][^0-9]*-\\s*$') "
            f"OR regexp_matches({v}, '^[^0-9]*\\(.*\\)[^0-9]*$'))")


def is_ambiguous(v: str) -> str:
    """SQL: the value fits both conventions and is not plain digits (``1,234``, ``1.234``)."""
    return f"({fits(v, '.')} AND {fits(v, ',')} AND NOT regexp_matches({core(v)}, {quote_text(PLAIN_RE)}))"


def unbounded_value(v: str, conv: Convention) -> str:
    """SQL: the value read under the column's convention (NULL when it does not fit), before any limit."""
    c = core(v)
    if conv.decimal == ",":
        txt = f"replace(regexp_replace({c}, '[.{SPACES}]', '', 'g'), ',', '.')"
    else:
        txt = f"regexp_replace({c}, '[,''’{SPACES}]', '', 'g')"
    ok = f"regexp_matches({v}, {quote_text(SHAPE_RE)}) AND {fits(v, conv.decimal)}"
    if conv.ambiguous:
        ok += f" AND NOT {is_ambiguous(v)}"
    # the usual case first, cheaply: plain digits with the column's decimal mark and an optional minus
    m = "," if conv.decimal == "," else "\\."
    plain = f"CAST(replace({v}, ',', '.') AS DOUBLE)" if conv.decimal == "," else f"CAST({v} AS DOUBLE)"
    fast = "'-?[0-9]{1,15}'" if conv.ambiguous else f"'-?[0-9]{{1,15}}({m}[0-9]{{1,15}})?'"
    return (f"(CASE WHEN regexp_full_match({v}, {fast}) THEN {plain} "
            f"WHEN {ok} THEN (CASE WHEN {is_negative(v)} THEN -1 ELSE 1 END) * "
            f"TRY_CAST(NULLIF({txt}, '') AS DOUBLE) END)")


def number_value(v: str, conv: Convention, limit: float | None = None) -> str:
    """SQL: the value, NULL when it cannot be read or is not finite or (when ``limit``) beyond ±limit."""
    x = unbounded_value(v, conv)          # written thrice: DuckDB computes a repeated expression once
    bound = f" AND abs({x}) <= {float(limit)!r}" if limit is not None else ""
    return f"(CASE WHEN isfinite({x}){bound} THEN {x} END)"


def number_problem(name: str, v: str, out: str, conv: Convention, limit: float | None, setting: str | None) -> str:
    """SQL: why a value of the column ``name`` was not read (NULL when it was)."""
    q = "''''"
    shown = f"{q} || left({v}, 40) || {q}"
    other = "," if conv.decimal == "." else "."
    mark = "comma" if other == "," else "point"
    if conv.explicit:
        contra = quote_text(f" does not read with `decimal: '{conv.decimal}'` set for this source (it has a decimal "
                            f"{mark}): correct the value, or the setting")
    else:
        contra = quote_text(f" has a decimal {mark} but the column's other values use a decimal "
                            f"{'point' if other == ',' else 'comma'}: correct the value, or set `decimal:` for "
                            f"this source")
    ambiguous = quote_text(" is ambiguous (a thousands separator or a decimal mark?): set `decimal: '.'` or "
                           "`decimal: ','` for this source")
    x = unbounded_value(v, conv)
    lim = f"{limit:,.0f}" if limit is not None else ""
    where = f" (`{setting}`)" if setting else ""
    beyond = (f"WHEN {x} IS NOT NULL AND isfinite({x}) THEN '{name}: ' || {shown} || ' is beyond the limit of ±{lim}"
              f"{where}: a typing error or a test value?' " if limit is not None else "")
    return (f"CASE WHEN {v} IS NOT NULL AND {out} IS NULL THEN CASE "
            f"WHEN {x} IS NOT NULL AND NOT isfinite({x}) THEN '{name}: ' || {shown} || ' is not a finite number' "
            f"{beyond}"
            f"WHEN NOT regexp_matches({v}, {quote_text(SHAPE_RE)}) THEN '{name}: ' || {shown} || ' is not a number' "
            f"WHEN {'TRUE' if conv.ambiguous else 'FALSE'} AND {is_ambiguous(v)} THEN '{name}: ' || {shown} || "
            f"{ambiguous} "
            f"WHEN {fits(v, other)} THEN '{name}: ' || {shown} || {contra} "
            f"ELSE '{name}: ' || {shown} || ' is not a number (its separators fit neither 1,234.56 nor 1.234,56)' "
            f"END END")


def decide_convention(con, stg: str, v: str, column: str, explicit: str | None, hint: str | None,
                      label: str | None = None, typed: bool = False) -> Convention:
    """The decimal convention of a staged column (``v``: the SQL of its trimmed text), from its values.

    ``explicit``: the config's ``decimal`` (always wins). ``hint``: the decimal the file's form suggests when the
    values cannot settle it (',' for a ``;`` file, '.' for a ``,`` file or a typed source), used only when the
    ambiguous values agree (all use the same separator); otherwise those rows are refused with the fix.
    """
    # on the distinct values (a column of a million amounts holds far fewer), the plain ones counted cheaply
    plain_dot = "'-?[0-9]+\\.([0-9]{1,2}|[0-9]{4,})'"
    r = con.execute(f"""WITH vals AS (SELECT x, count(*) AS n FROM (SELECT {v} AS x FROM {stg}) WHERE x IS NOT NULL
                                      GROUP BY x),
        rest AS (SELECT x, n, k, regexp_matches(k, {quote_text(DOT_RE)}) AS d, regexp_matches(k, {quote_text(COMMA_RE)})
                        AS c, regexp_matches(k, {quote_text(PLAIN_RE)}) AS plain
                 FROM (SELECT x, n, {core('x')} AS k FROM vals
                       WHERE NOT regexp_full_match(x, '-?[0-9]+') AND NOT regexp_full_match(x, {plain_dot}))
                 WHERE k <> '')
        SELECT (SELECT coalesce(sum(n), 0) FROM vals WHERE regexp_full_match(x, {plain_dot}))
                + coalesce(sum(n) FILTER (WHERE d AND NOT c), 0) AS dot,
        coalesce(sum(n) FILTER (WHERE c AND NOT d), 0) AS com,
        coalesce(sum(n) FILTER (WHERE d AND c AND NOT plain), 0) AS amb,
        coalesce(sum(n) FILTER (WHERE d AND c AND NOT plain AND contains(k, ',')), 0) AS amb_comma,
        coalesce(sum(n) FILTER (WHERE c AND NOT d AND contains(k, '.')), 0) AS com_dot,
        coalesce(sum(n) FILTER (WHERE c AND NOT d AND regexp_matches(k, '[{SPACES}]')), 0) AS com_space,
        coalesce(sum(n) FILTER (WHERE d AND NOT c AND regexp_matches(k, '[''’]')), 0) AS dot_swiss,
        coalesce(sum(n) FILTER (WHERE d AND NOT c AND regexp_matches(k, '[{SPACES}]')), 0) AS dot_space,
        coalesce(sum(n) FILTER (WHERE regexp_matches(x, '^[^0-9]*\\(.*\\)[^0-9]*$')), 0) AS parens,
        coalesce(sum(n) FILTER (WHERE regexp_matches(x, '[0-9][^0-9]*-\\s*$')), 0) AS trailing,
        first(x ORDER BY contains(k, '.') DESC, contains(k, ' ') DESC, n DESC, x) FILTER (WHERE c AND NOT d) AS ex_com,
        min(x) FILTER (WHERE d AND c AND NOT plain) AS ex_amb
        FROM rest""").fetchall()[0]
    dot, com, amb, amb_comma, com_dot, com_space, dot_swiss, dot_space, parens, trailing, ex_com, ex_amb = r
    where = f"{label} column {column}" if label else f"column {column}"
    if explicit:
        conv = Convention(decimal=explicit, explicit=True)
    elif dot or com:
        conv = Convention(decimal="." if dot > com or (dot == com and hint != ",") else ",")
        if conv.decimal == ",":
            seps = [s for s, n in (("'.'", com_dot), ("' '", com_space)) if n]
            conv.note_kind = "comma decimals, " + (" and ".join(seps) + " thousands" if seps else "no thousands")
            shown = _read_as(con, ex_com, conv)
            conv.notes.append(f"{where}: {conv.note_kind} — '{ex_com}' read as {shown} "
                              f"(set `decimal: ','` to make it explicit)")
        elif dot_swiss or dot_space:
            conv.note_kind = "decimal point, " + " and ".join(
                s for s, n in (("apostrophe", dot_swiss), ("space", dot_space)) if n) + " thousands"
            conv.notes.append(f"{where}: {conv.note_kind} — read as 1234.56")
    elif amb:
        agree = amb_comma in (0, amb)
        if hint and agree:
            conv = Convention(decimal=hint)
            if not typed:   # a typed source (Excel, Parquet, SQL) writes numbers with a point: nothing to say
                sep = "," if amb_comma else "."
                role = "decimal mark" if sep == hint else "thousands separator"
                conv.note_kind = f"'{sep}' read as the {role}"
                conv.notes.append(f"{where}: values such as '{ex_amb}' fit both conventions; '{sep}' was read as "
                                  f"the {role} (read as {_read_as(con, ex_amb, conv)}, as the file's delimiter "
                                  f"suggests) — set `decimal: '{hint}'` to make it explicit")
        else:
            conv = Convention(decimal=hint or ".", ambiguous=True)
    else:
        conv = Convention()
    if parens or trailing:
        how = " and ".join(s for s, n in (("in parentheses", parens), ("with a trailing minus", trailing)) if n)
        conv.notes.append(f"{where}: {parens + trailing} value(s) {how} read as negative (e.g. (12.00) → -12.00)")
    return conv


def _read_as(con, example: str | None, conv: Convention) -> str:
    if example is None:
        return "?"
    x = con.execute(f"SELECT {unbounded_value(quote_text(example), conv)}").fetchall()[0][0]
    if x is None or x != x or abs(x) == float("inf"):
        return "?"
    return format(x, ".15g")
