"""Turn a shell command line into the list of simple commands bash would really run.

Parsing uses tree-sitter-bash (never a regex over the raw string): a regex cannot see that
``echo $(rm -rf ~)`` runs ``rm``, or that ``"r""m"`` *is* ``rm``. tree-sitter gives raw text, so
bash's word processing is redone here before anything is compared: quote removal, backslash
escapes, ``$'\\x72m'`` decoding, ``~``/``$HOME`` expansion, brace expansion. What cannot be known
before running (``$X``, ``$(...)``) is kept as a marker so the risk checks can fail closed.

The analyzer also unwraps what hides a command inside another one: wrappers (``sudo``, ``env``,
``timeout``...), strings run by a shell (``bash -c``, ``eval``, ``su -c``, ``watch``, ``ssh host``),
``xargs`` and ``find -exec`` payloads, and heredocs or literal echoes piped into a shell. Each
unwrapped command becomes a :class:`Part` of its own, so policy rules and risk checks see it.
"""

from __future__ import annotations

import os
import re
import shlex
import threading
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from openagent_lsp.policy.evaluated import evaluated_code

# A private-use character standing for "something only known at run time" inside a word.
DYN = "\ufffc"
MAX_DEPTH = 4
MAX_COMMAND_CHARS = 64 * 1024
MAX_PARTS = 400
MAX_BRACE_EXPANSIONS = 64

STD_BIN_DIRS = frozenset(
    {
        "/bin",
        "/sbin",
        "/usr/bin",
        "/usr/sbin",
        "/usr/local/bin",
        "/usr/local/sbin",
        "/opt/homebrew/bin",
        "/opt/homebrew/sbin",
        "/usr/libexec",
        "/run/current-system/sw/bin",
    }
)

SHELLS = frozenset(
    {"sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "csh", "tcsh", "rbash", "yash", "pwsh"}
)
_PY_RE = re.compile(r"^(python|pypy)(\d+(\.\d+)*)?[mtwd]?$")


def is_python(name: str) -> bool:
    return _PY_RE.match(name) is not None


# interpreter -> flags that take inline code as their value
INLINE_CODE_FLAGS: dict[str, tuple[str, ...]] = {
    "perl": ("e", "E"),
    "ruby": ("e",),
    "node": ("e", "p", "--eval", "--print"),
    "nodejs": ("e", "p", "--eval", "--print"),
    "bun": ("e", "--eval", "--print"),
    "deno": ("eval",),
    "php": ("r",),
    "lua": ("e",),
    "luajit": ("e",),
    "rscript": ("e",),
    "osascript": ("e",),
    "tclsh": (),
    "irb": (),
    "jshell": (),
}


def is_interpreter(name: str) -> bool:
    return is_python(name) or name in INLINE_CODE_FLAGS


@dataclass(frozen=True)
class Word:
    """One shell word after bash's word processing; ``DYN`` marks run-time-only pieces."""

    text: str
    raw: str
    dynamic: bool = False
    glob: bool = False

    @property
    def literal(self) -> bool:
        return not self.dynamic


def lit(text: str) -> Word:
    return Word(text, text)


DYN_WORD = Word(DYN, "<dynamic>", dynamic=True)


@dataclass
class Redirect:
    op: str  # '>', '>>', '<', '&>', '<>', ...
    target: Word
    fd: str = ""


@dataclass
class Part:
    """One simple command bash would run, with the context the risk checks need."""

    argv: list[Word]
    name: str  # normalised program name ("" when it cannot be known before running)
    display: str  # source text shown to the user
    cwd: Path | None  # effective working directory (None: unknown after a dynamic cd)
    depth: int = 0
    via: str = ""  # how it was reached: "sudo", "bash -c", "xargs", "find -exec", ...
    wrapper_of: int | None = None  # index of the part this wrapper runs
    program_path: str = ""  # the program word when it was a path (/bin/rm, ./x.sh)
    odd_name: str = ""  # why the name is suspicious (homoglyph, control char...)
    redirects: list[Redirect] = field(default_factory=list)
    assignments: list[tuple[str, Word]] = field(default_factory=list)
    stdin_payload: str | None = None  # literal text fed on stdin (heredoc, herestring)
    stdin_dynamic: bool = False  # stdin fed by a heredoc with expansions
    stdin_pipe: bool = False  # stdin comes from a previous pipeline stage
    pipe_sources: list[int] = field(default_factory=list)  # part indexes of earlier stages
    code_payload_parsed: bool = False  # a shell's stdin/-c payload was parsed into parts
    code_dynamic: bool = False  # the code it runs (-c string, eval text, heredoc) is only known at run time
    xargs_placeholder: bool = False
    function_names: frozenset[str] = frozenset()

    @property
    def args(self) -> list[Word]:
        return self.argv[1:]


@dataclass
class Unknown:
    reason: str
    subject: str


@dataclass
class Analysis:
    """Everything the analyzer learned about one command line."""

    command: str
    parts: list[Part] = field(default_factory=list)
    unknowns: list[Unknown] = field(default_factory=list)
    redirects: list[tuple[int | None, Redirect, Path | None]] = field(default_factory=list)
    functions: list[tuple[str, str, bool]] = field(default_factory=list)  # name, text, self-recursive bg
    assignments: list[tuple[str, Word, str]] = field(default_factory=list)
    secret_vars: list[str] = field(default_factory=list)
    key_tokens: list[str] = field(default_factory=list)
    conditions: int = 0  # test commands ([ ], [[ ]]) that are not parts of their own
    empty: bool = False


# -- tree-sitter --------------------------------------------------------------------------------

_TLS = threading.local()


def _parser() -> Any:
    """One parser per thread (tree-sitter parsers are not thread-safe); imported lazily."""
    p = getattr(_TLS, "parser", None)
    if p is None:
        import tree_sitter_bash
        from tree_sitter import Language, Parser

        p = Parser(Language(tree_sitter_bash.language()))
        _TLS.parser = p
    return p


def parse_tree(text: str) -> Any:
    return _parser().parse(text.encode("utf-8", "surrogatepass"))


# -- word decoding ------------------------------------------------------------------------------

_ANSI_SIMPLE = {
    "a": "\a",
    "b": "\b",
    "e": "\x1b",
    "E": "\x1b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "?": "?",
}


def decode_ansi_c(body: str) -> str:
    """Decode the inside of ``$'...'`` the way bash does."""
    out: list[str] = []
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        d = body[i + 1]
        if d in _ANSI_SIMPLE:
            out.append(_ANSI_SIMPLE[d])
            i += 2
        elif d in "01234567":
            m = re.match(r"[0-7]{1,3}", body[i + 1 :])
            assert m is not None
            out.append(chr(int(m.group(0), 8) & 0xFF))
            i += 1 + len(m.group(0))
        elif d == "x":
            m = re.match(r"[0-9a-fA-F]{1,2}", body[i + 2 :])
            if m:
                out.append(chr(int(m.group(0), 16)))
                i += 2 + len(m.group(0))
            else:
                out.append("\\x")
                i += 2
        elif d in "uU":
            m = re.match(r"[0-9a-fA-F]{1,%s}" % ("4" if d == "u" else "8"), body[i + 2 :])
            if m:
                cp = int(m.group(0), 16)
                out.append(chr(cp) if cp <= 0x10FFFF else "\ufffd")
                i += 2 + len(m.group(0))
            else:
                out.append("\\" + d)
                i += 2
        elif d == "c" and i + 2 < n:
            out.append(chr(ord(body[i + 2].upper()) ^ 0x40))
            i += 3
        else:
            out.append("\\" + d)
            i += 2
    return "".join(out)


# A piece is (text, quoted). DYN text marks an unknown expansion.
Piece = tuple[str, bool]


def _unquoted_word(raw: str) -> list[Piece]:
    out: list[Piece] = []
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if c == "\\" and i + 1 < n:
            if raw[i + 1] == "\n":
                i += 2
                continue
            out.append((raw[i + 1], True))
            i += 2
            continue
        out.append((c, False))
        i += 1
    return out


def _dq_text(raw: str) -> list[Piece]:
    out: list[Piece] = []
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if c == "\\" and i + 1 < n and raw[i + 1] in '$`"\\\n':
            if raw[i + 1] != "\n":
                out.append((raw[i + 1], True))
            i += 2
            continue
        out.append((c, True))
        i += 1
    return out


_SECRET_VAR_RE = re.compile(
    r"(TOKEN|SECRET|PASSW|PASSWD|API_?KEY|ACCESS_KEY|PRIVATE|CREDENTIAL|AUTH|SESSION|COOKIE)", re.I
)


class WordDecoder:
    """Decodes tree-sitter word nodes; knows a few variables ($HOME, $PWD) and records the rest."""

    def __init__(self, src: bytes, analysis: Analysis) -> None:
        self.src = src
        self.analysis = analysis
        # Variables of enclosing "for NAME in WORD" loops over a single word: "$NAME" is one of the
        # words that WORD expands to (a glob stays a glob, so it is judged by what it matches).
        self.loop_values: dict[str, str] = {}

    def text(self, node: Any) -> str:
        return self.src[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def _var(self, name: str, cwd: Path | None) -> list[Piece]:
        if name in self.loop_values:
            return [(c, False) for c in self.loop_values[name]]
        if _SECRET_VAR_RE.search(name):
            self.analysis.secret_vars.append(name)
        if name == "HOME":
            return [(c, True) for c in os.path.expanduser("~")]
        if name == "PWD" and cwd is not None:
            return [(c, True) for c in str(cwd)]
        return [(DYN, True)]

    def pieces(self, node: Any, cwd: Path | None) -> list[Piece]:
        t = node.type
        if t in ("word", "number", "special_variable_name", "variable_name", "file_descriptor"):
            return _unquoted_word(self.text(node))
        if t == "raw_string":
            return [(c, True) for c in self.text(node)[1:-1]]
        if t == "ansi_c_string":
            raw = self.text(node)
            return [(c, True) for c in decode_ansi_c(raw[2:-1])]
        if t in ("string", "translated_string"):
            return self._string(node, cwd)
        if t == "simple_expansion":
            raw = self.text(node)
            return self._var(raw[1:], cwd)
        if t == "expansion":
            raw = self.text(node)
            m = re.fullmatch(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", raw)
            if m:
                return self._var(m.group(1), cwd)
            for sub in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", raw):
                if _SECRET_VAR_RE.search(sub):
                    self.analysis.secret_vars.append(sub)
            return [(DYN, True)]
        if t in ("command_substitution", "process_substitution", "arithmetic_expansion"):
            return [(DYN, True)]
        if t == "concatenation":
            out: list[Piece] = []
            pos = node.start_byte
            for child in node.children:
                if child.start_byte > pos:
                    out.extend(_unquoted_word(self.src[pos : child.start_byte].decode("utf-8", "replace")))
                if child.is_named:
                    out.extend(self.pieces(child, cwd))
                else:
                    out.extend(_unquoted_word(self.text(child)))
                pos = child.end_byte
            if node.end_byte > pos:
                out.extend(_unquoted_word(self.src[pos : node.end_byte].decode("utf-8", "replace")))
            return out
        if t in ("brace_expression", "extglob_pattern", "regex"):
            return [(c, False) for c in self.text(node)]
        # Anything else in a word position is not something we can read safely.
        return [(DYN, True)]

    def _string(self, node: Any, cwd: Path | None) -> list[Piece]:
        out: list[Piece] = []
        start = node.start_byte
        end = node.end_byte
        raw = self.src[start:end]
        # Skip the opening quote (and the $ of $"...") and the closing quote.
        if raw.startswith(b'$"'):
            start += 2
        elif raw.startswith(b'"'):
            start += 1
        if raw.endswith(b'"') and end - 1 >= start:
            end -= 1
        pos = start
        for child in node.children:
            if not child.is_named:
                continue
            if child.start_byte > pos:
                out.extend(_dq_text(self.src[pos : child.start_byte].decode("utf-8", "replace")))
            if child.type == "string_content":
                out.extend(_dq_text(self.text(child)))
            else:
                out.extend(self.pieces(child, cwd))
            pos = max(pos, child.end_byte)
        if end > pos:
            out.extend(_dq_text(self.src[pos:end].decode("utf-8", "replace")))
        return out

    def words(self, node: Any, cwd: Path | None) -> list[Word]:
        """Decode one word node into the word(s) bash would produce (brace expansion may add more)."""
        raw = self.text(node)
        pieces = self.pieces(node, cwd)
        variants = _brace_expand(pieces)
        if variants is None:
            return [Word(_join(pieces), raw, dynamic=True, glob=_has_glob(pieces))]
        return [_make_word(v, raw) for v in variants]


def _join(pieces: list[Piece]) -> str:
    return "".join(t for t, _ in pieces)


def _has_glob(pieces: list[Piece]) -> bool:
    unq = [t for t, q in pieces if not q]
    if "*" in unq or "?" in unq:
        return True
    if "[" in unq:
        i = unq.index("[")
        return "]" in unq[i + 1 :]
    return False


def _make_word(pieces: list[Piece], raw: str) -> Word:
    # Tilde expansion: an unquoted leading ~ followed by / or the end.
    if pieces and pieces[0] == ("~", False):
        rest = pieces[1:]
        if not rest or rest[0][0] == "/":
            pieces = [(c, True) for c in os.path.expanduser("~")] + rest
        else:
            j = 0
            while j < len(rest) and not rest[j][1] and rest[j][0] not in "/" + DYN:
                j += 1
            user = "".join(t for t, _ in rest[:j])
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", user or "-"):
                expanded = os.path.expanduser("~" + user)
                if expanded.startswith("~"):
                    expanded = "/home/" + user
                pieces = [(c, True) for c in expanded] + rest[j:]
    text = _join(pieces)
    return Word(text, raw, dynamic=DYN in text, glob=_has_glob(pieces))


def _brace_expand(pieces: list[Piece]) -> list[list[Piece]] | None:
    """Bash brace expansion (``{a,b}``) on unquoted braces; None when it would explode."""
    results = [pieces]
    done: list[list[Piece]] = []
    while results:
        cur = results.pop()
        found = _find_brace(cur)
        if found is None:
            done.append(cur)
        else:
            start, end, commas = found
            pre, body, post = cur[:start], cur[start + 1 : end], cur[end + 1 :]
            alts: list[list[Piece]] = []
            prev = 0
            for c in [*commas, len(body)]:
                alts.append(body[prev:c])
                prev = c + 1
            for alt in alts:
                results.append(pre + alt + post)
        if len(results) + len(done) > MAX_BRACE_EXPANSIONS:
            return None
    done.reverse()
    return done


def _find_brace(pieces: list[Piece]) -> tuple[int, int, list[int]] | None:
    n = len(pieces)
    for i in range(n):
        if pieces[i] != ("{", False):
            continue
        depth = 0
        commas: list[int] = []
        for j in range(i + 1, n):
            t, q = pieces[j]
            if q:
                continue
            if t == "{":
                depth += 1
            elif t == "}":
                if depth == 0:
                    if commas:
                        return i, j, [c - i - 1 for c in commas]
                    break
                depth -= 1
            elif t == "," and depth == 0:
                commas.append(j)
    return None


# -- program names --------------------------------------------------------------------------------

_INVISIBLE_RE = re.compile(r"[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def normalise_program(word: Word) -> tuple[str, str, str]:
    """(name, program_path, odd) for a command word: ``/bin/rm`` -> ("rm", "/bin/rm", "")."""
    if word.dynamic or word.glob:
        return "", "", ""
    text = word.text
    path = ""
    base = text
    if "/" in text:
        path = text
        base = text.rstrip("/").rsplit("/", 1)[-1]
    odd = ""
    folded = unicodedata.normalize("NFKC", base)
    if _INVISIBLE_RE.search(base):
        odd = "the program name contains invisible or control characters"
        folded = _INVISIBLE_RE.sub("", folded)
    elif folded != base or not base.isascii():
        odd = "the program name contains non-ASCII look-alike characters"
    return folded.lower(), path, odd


def program_dir_is_standard(path: str) -> bool:
    d = os.path.dirname(os.path.normpath(path)) if path else ""
    return d in STD_BIN_DIRS


# -- the analyzer -------------------------------------------------------------------------------

# Programs whose plain arguments are file names: "rm build" and "rm ./build/" get the same grant key.
_PATH_PROGRAMS = frozenset(
    {
        "rm",
        "rmdir",
        "unlink",
        "shred",
        "cp",
        "mv",
        "ln",
        "mkdir",
        "touch",
        "truncate",
        "chmod",
        "chown",
        "tee",
        "cat",
        "head",
        "tail",
        "less",
        "more",
        "ls",
        "stat",
        "wc",
        "diff",
        "du",
        "file",
    }
)

_KEY_OPERATORS = frozenset(
    {
        "|",
        "|&",
        "&&",
        "||",
        ";",
        ";;",
        "&",
        "(",
        ")",
        "{",
        "}",
        "$(",
        "`",
        "<(",
        ">(",
        "!",
        "if",
        "then",
        "else",
        "elif",
        "fi",
        "for",
        "while",
        "until",
        "do",
        "done",
        "case",
        "esac",
        "in",
    }
)


class _Cwd:
    """A mutable working directory shared by the commands of one shell (not by subshells)."""

    __slots__ = ("path",)

    def __init__(self, path: Path | None) -> None:
        self.path = path


@dataclass
class _Ctx:
    cell: _Cwd
    depth: int = 0
    via: str = ""
    stdin_payload: str | None = None
    stdin_dynamic: bool = False
    pipe_sources: tuple[int, ...] = ()
    functions: frozenset[str] = frozenset()

    @property
    def cwd(self) -> Path | None:
        return self.cell.path

    def subshell(self, **changes: Any) -> _Ctx:
        """A copy with its own working directory: a cd inside does not leak out."""
        return replace(self, cell=_Cwd(self.cell.path), **changes)


class Analyzer:
    """Walks the syntax tree and fills an :class:`Analysis`. One instance per command."""

    def __init__(self, command: str, cwd: Path, workspace: Path) -> None:
        self.analysis = Analysis(command=command)
        self.workspace = workspace
        self.cwd = cwd

    # public entry ------------------------------------------------------------------------------
    def run(self) -> Analysis:
        a = self.analysis
        cmd = a.command
        if len(cmd) > MAX_COMMAND_CHARS:
            a.unknowns.append(
                Unknown(f"the command is longer than {MAX_COMMAND_CHARS} characters", "<command>")
            )
            return a
        if "\x00" in cmd:
            a.unknowns.append(Unknown("the command contains a NUL byte", "<command>"))
            return a
        if not cmd.strip():
            a.empty = True
            return a
        self._parse_and_walk(cmd, _Ctx(cell=_Cwd(self.cwd)), "<command>")
        if not (a.parts or a.unknowns or a.redirects or a.assignments or a.functions or a.conditions):
            a.empty = True
        return a

    # helpers ---------------------------------------------------------------------------------
    def _unknown(self, reason: str, subject: str) -> None:
        self.analysis.unknowns.append(Unknown(reason, subject[:200]))

    def _parse_and_walk(self, text: str, ctx: _Ctx, subject: str) -> None:
        if ctx.depth > MAX_DEPTH:
            self._unknown(f"commands nested more than {MAX_DEPTH} levels deep", subject)
            return
        try:
            tree = parse_tree(text)
        except Exception as exc:  # a parser failure fails closed
            self._unknown(f"the command cannot be parsed ({exc.__class__.__name__})", subject)
            return
        root = tree.root_node
        src = text.encode("utf-8", "surrogatepass")
        dec = WordDecoder(src, self.analysis)
        if root.has_error:
            bad = _first_error(root)
            where = dec.text(bad)[:60] if bad is not None else ""
            self._unknown(f"bash syntax the policy cannot read safely (near {where!r})", subject)
            # Still walk what parsed: an obviously destructive part upgrades approval to deny.
        for reason, snippet in evaluated_code(root, src):
            self._unknown(reason, snippet)
        self._walk(root, ctx, dec)

    def _walk(self, node: Any, ctx: _Ctx, dec: WordDecoder) -> None:
        t = node.type
        if node.is_missing:
            self._unknown("incomplete command (something is missing)", dec.text(node.parent or node))
            return
        if t == "ERROR":
            for child in node.children:
                if child.is_named:
                    self._walk(child, ctx, dec)
            return
        if t == "comment":
            return
        if t == "file_redirect":
            # Only a redirect with no command reaches here: "$(<file)", where bash reads the file itself.
            self._file_redirect(node, ctx, dec, None)
            return
        if t == "command":
            self._command(node, ctx, dec)
            return
        if t == "redirected_statement":
            self._redirected(node, ctx, dec)
            return
        if t == "pipeline":
            self._pipeline(list(node.children), ctx, dec, first_sources=())
            return
        if t in ("subshell", "command_substitution", "process_substitution"):
            sub = ctx.subshell(stdin_payload=None, pipe_sources=())
            for child in node.children:
                if child.is_named:
                    self._walk(child, sub, dec)
                else:
                    self._key(child.type)
            return
        if t == "function_definition":
            self._function(node, ctx, dec)
            return
        if t == "for_statement":
            self._for(node, ctx, dec)
            return
        if t == "unset_command":
            # "unset NAME...": a command like any other (its names are judged: subscripts run code).
            words = [w for c in node.named_children for w in dec.words(c, ctx.cwd)]
            for c in node.named_children:
                self._walk(c, ctx, dec)
            self._add_part([lit("unset"), *words], ctx, dec.text(node))
            return
        if t == "test_command":
            self.analysis.conditions += 1  # "[ -f x ]" alone is not an empty command
            for child in node.children:
                if child.is_named:
                    self._walk(child, ctx, dec)
                elif child.type in _KEY_OPERATORS or child.type in ("[", "]", "[[", "]]"):
                    self._key(child.type)
            return
        if t == "variable_assignment":
            self._assignment(node, ctx, dec, via="")
            return
        if t == "declaration_command":
            kw = node.children[0].type if node.children else ""
            self._key(kw)
            for child in node.children:
                if child.type == "variable_assignment":
                    self._assignment(child, ctx, dec, via=kw)
                elif child.is_named:
                    self._walk(child, ctx, dec)
            if kw in ("export", "declare", "typeset") and all(
                c.type == "word" and dec.text(c).startswith("-") for c in node.named_children
            ):
                # bare "export"/"declare -p" prints every variable, secrets included
                self._add_part(
                    [lit(kw), *[lit(dec.text(c)) for c in node.named_children]], ctx, dec.text(node)
                )
            return
        if t == "heredoc_body":
            for child in node.children:
                if child.is_named:
                    self._walk(child, ctx, dec)
            return
        for child in node.children:
            if child.is_named:
                self._walk(child, ctx, dec)
            elif child.type in _KEY_OPERATORS:
                self._key(child.type)

    def _key(self, token: str) -> None:
        self.analysis.key_tokens.append(token)

    def _pipeline(
        self, children: list[Any], ctx: _Ctx, dec: WordDecoder, first_sources: tuple[int, ...]
    ) -> None:
        sources = list(first_sources)
        for child in children:
            if not child.is_named:
                if child.type in _KEY_OPERATORS:
                    self._key(child.type)
                continue
            before = len(self.analysis.parts)
            # Each stage runs in its own subshell: a cd inside does not leak out.
            stage_ctx = ctx.subshell(pipe_sources=tuple(sources))
            self._walk(child, stage_ctx, dec)
            sources.extend(range(before, len(self.analysis.parts)))

    def _redirected(self, node: Any, ctx: _Ctx, dec: WordDecoder) -> None:
        body = node.child_by_field_name("body")
        payload: str | None = None
        payload_dyn = False
        continuations: list[Any] = []
        redirects: list[Any] = []
        for child in node.children:
            if child == body or not child.is_named:
                continue
            if child.type == "heredoc_redirect":
                text, dyn = self._heredoc_payload(child, dec)
                payload, payload_dyn = text, dyn
                for sub in child.named_children:
                    if sub.type in ("file_redirect", "herestring_redirect"):
                        redirects.append(sub)
                    elif sub.type == "heredoc_body":
                        self._walk(sub, ctx, dec)  # expansions in an unquoted heredoc run
                    elif sub.type not in ("heredoc_start", "heredoc_end"):
                        continuations.append(sub)
            elif child.type == "herestring_redirect" or child.type == "file_redirect":
                redirects.append(child)
            else:
                continuations.append(child)
        before = len(self.analysis.parts)
        body_ctx = replace(ctx, stdin_payload=payload, stdin_dynamic=payload_dyn)
        if body is not None:
            if body.type == "command":
                self._command(body, body_ctx, dec, extra_redirects=redirects)
                redirects = []
            else:
                self._walk(body, body_ctx, dec)
        owner = before if len(self.analysis.parts) > before else None
        for r in redirects:
            self._file_redirect(r, ctx, dec, owner)
        body_parts = tuple(range(before, len(self.analysis.parts)))
        for cont in continuations:
            if cont.type == "pipeline":
                self._pipeline(list(cont.children), ctx, dec, first_sources=body_parts)
            else:
                self._walk(cont, ctx, dec)

    def _heredoc_payload(self, node: Any, dec: WordDecoder) -> tuple[str, bool]:
        body = None
        strip_tabs = False
        quoted = False
        for c in node.children:
            if c.type == "heredoc_body":
                body = c
            elif c.type == "<<-":
                strip_tabs = True
            elif c.type == "heredoc_start":
                quoted = any(ch in dec.text(c) for ch in "'\"\\")
        if body is None:
            return "", False
        text = dec.text(body)
        if strip_tabs:
            text = "\n".join(line.lstrip("\t") for line in text.split("\n"))
        dyn = (not quoted) and any(c.is_named for c in body.children if c.type != "heredoc_content")
        return text, dyn

    def _file_redirect(self, node: Any, ctx: _Ctx, dec: WordDecoder, owner: int | None) -> None:
        if node.type == "herestring_redirect":
            for c in node.named_children:
                self._walk(c, ctx, dec)
            return
        op = ""
        fd = ""
        dest: Any = None
        for c in node.children:
            if not c.is_named:
                op = c.type
            elif c.type == "file_descriptor":
                fd = dec.text(c)
            elif dest is None:
                dest = c
        if dest is None:
            return
        self._walk(dest, ctx, dec)  # substitutions in the target run too
        words = dec.words(dest, ctx.cwd)
        target = words[0] if words else DYN_WORD
        if op in (">&", "<&") and re.fullmatch(r"\d+-?|-", target.text):
            return  # fd duplication, not a file
        red = Redirect(op, target, fd)
        self.analysis.redirects.append((owner, red, ctx.cwd))
        self._key(op)
        self._key(shlex.quote(self._shape_path(target, ctx.cwd)))
        if owner is not None and owner < len(self.analysis.parts):
            self.analysis.parts[owner].redirects.append(red)

    def _for(self, node: Any, ctx: _Ctx, dec: WordDecoder) -> None:
        """``for f in src/*.py; do wc -l "$f"; done``: inside the body, ``$f`` stands for the one word
        the loop runs over (when there is exactly one, with no run-time part); else it stays unknown."""
        var = node.child_by_field_name("variable")
        values = [c for c in node.children_by_field_name("value")]
        name = dec.text(var) if var is not None else ""
        single: Word | None = None
        if name and len(values) == 1:
            words = dec.words(values[0], ctx.cwd)
            if len(words) == 1 and not words[0].dynamic:
                single = words[0]
        for child in node.children:
            if child.is_named and child is not var and child not in values:
                if single is not None and child.type == "do_group":
                    saved = dec.loop_values.get(name)
                    dec.loop_values[name] = single.text
                    try:
                        self._walk(child, ctx, dec)
                    finally:
                        if saved is None:
                            dec.loop_values.pop(name, None)
                        else:
                            dec.loop_values[name] = saved
                else:
                    self._walk(child, ctx, dec)
            elif child in values:
                self._walk(child, ctx, dec)
            elif not child.is_named and child.type in _KEY_OPERATORS:
                self._key(child.type)

    def _function(self, node: Any, ctx: _Ctx, dec: WordDecoder) -> None:
        name_node = node.child_by_field_name("name")
        name = dec.text(name_node) if name_node is not None else ""
        body = node.child_by_field_name("body")
        self._key(f"function:{name}")
        before = len(self.analysis.parts)
        fctx = replace(ctx, functions=ctx.functions | {name})
        if body is not None:
            self._walk(body, fctx, dec)
        body_text = dec.text(body) if body is not None else ""
        calls_self = any(p.name == name for p in self.analysis.parts[before:])
        backgrounds = "&" in body_text or "|" in body_text
        self.analysis.functions.append((name, body_text[:200], calls_self and backgrounds))

    def _assignment(self, node: Any, ctx: _Ctx, dec: WordDecoder, via: str) -> None:
        name_node = node.child_by_field_name("name")
        value_node = node.child_by_field_name("value")
        for c in node.named_children:
            if c != name_node:
                self._walk(c, ctx, dec)
        if name_node is not None and name_node.type == "subscript":
            self._walk(name_node, ctx, dec)
        name = dec.text(name_node) if name_node is not None else ""
        value = dec.words(value_node, ctx.cwd)[0] if value_node is not None else lit("")
        self.analysis.assignments.append((name, value, via))
        self._key(f"{name}=")

    # commands ----------------------------------------------------------------------------------
    def _command(
        self, node: Any, ctx: _Ctx, dec: WordDecoder, extra_redirects: list[Any] | None = None
    ) -> None:
        argv: list[Word] = []
        assignments: list[tuple[str, Word]] = []
        redirect_nodes: list[Any] = list(extra_redirects or [])
        herestring: Word | None = None
        for child in node.children:
            if not child.is_named:
                continue
            if child.type == "variable_assignment":
                nn = child.child_by_field_name("name")
                vn = child.child_by_field_name("value")
                for c in child.named_children:
                    if c != nn:
                        self._walk(c, ctx, dec)
                val = dec.words(vn, ctx.cwd)[0] if vn is not None else lit("")
                assignments.append((dec.text(nn) if nn is not None else "", val))
            elif child.type == "command_name":
                inner = child.named_children[0] if child.named_children else child
                self._walk(inner, ctx, dec)
                argv.extend(dec.words(inner, ctx.cwd))
            elif child.type == "herestring_redirect":
                for c in child.named_children:
                    self._walk(c, ctx, dec)
                    herestring = dec.words(c, ctx.cwd)[0]
            elif child.type == "file_redirect":
                redirect_nodes.append(child)
            else:
                self._walk(child, ctx, dec)  # substitutions inside arguments run first
                argv.extend(dec.words(child, ctx.cwd))
        if herestring is not None:
            ctx = replace(
                ctx,
                stdin_payload=herestring.text.replace(DYN, "$__dyn") + "\n",
                stdin_dynamic=herestring.dynamic,
            )
        before = len(self.analysis.parts)
        if not argv:
            for name, val in assignments:
                self.analysis.assignments.append((name, val, ""))
            for r in redirect_nodes:
                self._file_redirect(r, ctx, dec, None)
            return
        self._add_part(argv, ctx, dec.text(node), assignments=assignments)
        for r in redirect_nodes:
            self._file_redirect(r, ctx, dec, before)

    def _add_part(
        self,
        argv: list[Word],
        ctx: _Ctx,
        display: str,
        assignments: list[tuple[str, Word]] | None = None,
        wrapper_of: int | None = None,
    ) -> int:
        a = self.analysis
        if len(a.parts) >= MAX_PARTS:
            self._unknown(f"more than {MAX_PARTS} commands in one line", display)
            return len(a.parts) - 1
        name, path, odd = normalise_program(argv[0])
        part = Part(
            argv=argv,
            name=name,
            display=display.strip()[:500],
            cwd=ctx.cwd,
            depth=ctx.depth,
            via=ctx.via,
            program_path=path,
            odd_name=odd,
            assignments=list(assignments or []),
            stdin_payload=ctx.stdin_payload,
            stdin_dynamic=ctx.stdin_dynamic,
            stdin_pipe=bool(ctx.pipe_sources),
            pipe_sources=list(ctx.pipe_sources),
            function_names=ctx.functions,
        )
        idx = len(a.parts)
        a.parts.append(part)
        self._key(self._shape(part))
        if not name:
            return idx
        self._unwrap(idx, part, ctx)
        return idx

    # shapes for grant keys ------------------------------------------------------------------------
    def _shape_path(self, w: Word, cwd: Path | None, bare_is_path: bool = False) -> str:
        if w.dynamic or cwd is None:
            return w.raw
        t = w.text
        pathish = t.startswith((".", "/", "~")) or "/" in t or (bare_is_path and not t.startswith("-"))
        if not pathish or "://" in t or any(c.isspace() for c in t):
            return t
        p = Path(t) if os.path.isabs(t) else cwd / t
        norm = Path(os.path.normpath(str(p)))
        if norm.is_relative_to(self.workspace):
            rel = norm.relative_to(self.workspace).as_posix()
            return "<ws>/" + rel if rel != "." else "<ws>"
        return norm.as_posix()

    def _shape(self, part: Part) -> str:
        """The exact shape of one part for grant keys: every word quoted (``cat 'a b'`` is not
        ``cat a b``), every variable value kept; only spellings of the same file are merged."""
        toks = [shlex.quote(part.name or part.argv[0].raw)]
        for w in part.args:
            if w.text.startswith("-") and "=" in w.text and not w.dynamic:
                k, _, v = w.text.partition("=")
                toks.append(shlex.quote(k + "=" + self._shape_path(lit(v), part.cwd)))
            else:
                toks.append(shlex.quote(self._shape_path(w, part.cwd, part.name in _PATH_PROGRAMS)))
        env = [shlex.quote(f"{n}={v.raw if v.dynamic else v.text}") for n, v in part.assignments]
        if part.cwd == self.workspace:
            where: list[str] = []
        elif part.cwd is None:
            where = ["[cwd=?]"]
        else:
            where = [f"[cwd={self._shape_path(lit('./'), part.cwd)}]"]
        return " ".join(where + env + toks).replace(DYN, "$?")

    # unwrapping --------------------------------------------------------------------------------
    def _nested(self, text: str, ctx: _Ctx, via: str, subject: str) -> None:
        self._parse_and_walk(
            text, ctx.subshell(depth=ctx.depth + 1, via=via, stdin_payload=None, pipe_sources=()), subject
        )

    def _payload_text(self, words: list[Word]) -> str:
        return " ".join(w.text.replace(DYN, "$__dyn") for w in words)

    def _unwrap(self, idx: int, part: Part, ctx: _Ctx) -> None:
        name = part.name
        args = part.args
        inner_start = _wrapper_inner_start(name, args)
        if inner_start is not None:
            inner = args[inner_start:]
            opts = args[:inner_start]
            if (
                name in ("sudo", "doas")
                and inner
                and any(
                    w.text in ("--shell", "--login") or re.fullmatch(r"-[A-Za-z]*[si][A-Za-z]*", w.text)
                    for w in opts
                )
            ):
                # sudo -s/-i CMD runs CMD through the user's shell: parse it as a command line.
                self._nested(self._payload_text(inner), ctx, f"{name} -s", part.display)
                return
            if name == "env":
                for k, w in enumerate(opts):
                    if w.text.startswith(("-S", "--split-string")):
                        val = w.text[2:] if w.text.startswith("-S") else w.text.partition("=")[2]
                        rest = ([lit(val)] if val else []) + list(args[k + 1 :])
                        self._nested(self._payload_text(rest), ctx, "env -S", part.display)
                        return
                for w in opts:
                    if "=" in w.text and not w.text.startswith("-"):
                        k2, _, v = w.text.partition("=")
                        part.assignments.append((k2, lit(v)))
                    if w.text.startswith(("-C", "--chdir")):
                        ctx = ctx.subshell()
                        ctx.cell.path = None
            if inner:
                self._add_part(
                    inner,
                    replace(ctx, via=(ctx.via + " " + name).strip()),
                    part.display,
                    assignments=list(part.assignments) if name == "env" else None,
                    wrapper_of=idx,
                )
                part.wrapper_of = len(self.analysis.parts) - 1
            return
        if name in SHELLS or (name == "busybox" and args and args[0].text in SHELLS):
            self._shell(part, ctx)
            return
        if name == "eval":
            if any(w.dynamic for w in args):
                part.code_dynamic = True
                self._unknown("eval of text only known at run time", part.display)
            if args:
                self._nested(self._payload_text(args), ctx, "eval", part.display)
            return
        if name in ("su", "runuser", "script", "flock", "watch", "trap", "ssh", "parallel", "sg"):
            payload = _string_payload(name, args)
            if payload is not None:
                words = payload
                if any(w.dynamic for w in words):
                    part.code_dynamic = True
                    self._unknown(f"{name} runs a command only known at run time", part.display)
                self._nested(self._payload_text(words), ctx, name, part.display)
            return
        if name == "xargs":
            self._xargs(part, ctx)
            return
        if name == "find":
            self._find(part, ctx)
            return
        if name in ("cd", "pushd", "popd", "chdir"):
            self._cd(part, ctx)
            return
        if name in ("at", "batch") and part.stdin_payload is not None:
            part.code_payload_parsed = True
            self._nested(part.stdin_payload, ctx, name, part.display)
            return
        if is_interpreter(name) and part.stdin_payload is None and ctx.pipe_sources:
            part.stdin_payload = self._echo_source(ctx.pipe_sources)

    def _shell(self, part: Part, ctx: _Ctx) -> None:
        args = part.args
        if part.name == "busybox":
            args = args[1:]
        has_c = False
        i = 0
        script: Word | None = None
        while i < len(args):
            w = args[i]
            t = w.text
            if t == "--":
                i += 1
                break
            if t in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
                i += 2
                continue
            if t.startswith("--"):
                i += 1
                continue
            if t.startswith(("-", "+")) and len(t) > 1 and not w.dynamic:
                if "c" in t[1:]:
                    has_c = True
                i += 1
                continue
            break
        rest = args[i:]
        if has_c:
            if not rest:
                self._unknown(f"{part.name} -c without a command", part.display)
                return
            payload = rest[0]
            if payload.dynamic:
                part.code_dynamic = True
                self._unknown(f"{part.name} -c runs a command only known at run time", part.display)
            part.code_payload_parsed = True
            self._nested(payload.text.replace(DYN, "$__dyn"), ctx, f"{part.name} -c", part.display)
            return
        if rest:
            script = rest[0]
            if script.dynamic:
                self._unknown(f"{part.name} runs a script only known at run time", part.display)
            return
        # No -c, no script: the shell runs whatever arrives on stdin.
        stdin_text = part.stdin_payload
        if stdin_text is None and ctx.pipe_sources:
            stdin_text = self._echo_source(ctx.pipe_sources)
        if stdin_text is not None:
            if part.stdin_dynamic:
                part.code_dynamic = True
                self._unknown(f"{part.name} runs a here-document with run-time expansions", part.display)
            part.code_payload_parsed = True
            self._nested(stdin_text, ctx, f"{part.name} <stdin>", part.display)

    def _echo_source(self, sources: tuple[int, ...] | list[int]) -> str | None:
        """Literal text an ``echo``/``printf``/``cat <<EOF`` stage sends down the pipe, if knowable."""
        if not sources:
            return None
        tops = [self.analysis.parts[i] for i in sources]
        if len(tops) != 1:
            return None
        src = tops[0]
        args = src.args
        if src.name == "echo":
            while args and re.fullmatch(r"-[neE]+", args[0].text):
                args = args[1:]
            if any(w.dynamic for w in args):
                return None
            return " ".join(w.text for w in args) + "\n"
        if src.name == "printf" and len(args) == 1 and not args[0].dynamic and "%" not in args[0].text:
            # Only a lone format without conversions prints itself; "printf '%s' x" prints x.
            return args[0].text.replace("\\n", "\n")
        if src.name == "cat" and not args and src.stdin_payload is not None and not src.stdin_dynamic:
            return src.stdin_payload
        return None

    def _xargs(self, part: Part, ctx: _Ctx) -> None:
        args = part.args
        i = 0
        replace_str: str | None = None
        takes_value = {"-a", "-d", "-E", "-e", "-I", "-L", "-l", "-n", "-P", "-s", "-R", "-S", "-J"}
        while i < len(args):
            t = args[i].text
            if t == "--":
                i += 1
                break
            if not t.startswith("-") or t == "-":
                break
            if t == "-I" and i + 1 < len(args):
                replace_str = args[i + 1].text
                i += 2
                continue
            if t.startswith("-I") and len(t) > 2:
                replace_str = t[2:]
            elif t.startswith("-i"):
                replace_str = t[2:] or "{}"
            elif t.startswith("--replace"):
                replace_str = t.partition("=")[2] or "{}"
            if t in takes_value:
                i += 2
                continue
            i += 1
        inner = list(args[i:]) or [lit("echo")]
        fed = self._echo_source(ctx.pipe_sources) if ctx.pipe_sources else None
        splits_lines = any(
            w.text in ("-0", "--null") or w.text.startswith(("-d", "--delimiter")) for w in args[:i]
        )
        runs_code = bool(inner) and (inner[0].text.rsplit("/", 1)[-1] in SHELLS or inner[0].text == "eval")
        if fed is not None and not replace_str and fed.split() and not splits_lines and not runs_code:
            # "echo / | xargs rm -rf": the arguments are known, use them instead of a placeholder.
            self._add_part(
                [*inner, *(lit(t) for t in fed.split())],
                ctx.subshell(via="xargs", pipe_sources=()),
                part.display,
            )
            return
        if replace_str:
            inner = [
                Word(w.text.replace(replace_str, DYN), w.raw, dynamic=True) if replace_str in w.text else w
                for w in inner
            ]
        else:
            inner.append(DYN_WORD)
        inner_idx = self._add_part(inner, replace(ctx, via="xargs", pipe_sources=()), part.display, wrapper_of=None)
        self.analysis.parts[-1].xargs_placeholder = True
        part.wrapper_of = inner_idx  # the xargs part feeds this one: its input decides the arguments

    def _find(self, part: Part, ctx: _Ctx) -> None:
        args = part.args
        roots: list[Word] = []
        i = 0
        while i < len(args) and not args[i].text.startswith(("-", "(", "!")):
            roots.append(args[i])
            i += 1
        if not roots:
            roots = [lit(".")]
        while i < len(args):
            t = args[i].text
            if t in ("-exec", "-execdir", "-ok", "-okdir"):
                j = i + 1
                payload: list[Word] = []
                while j < len(args) and args[j].text not in (";", "+"):
                    payload.append(args[j])
                    j += 1
                if payload:
                    for root in roots[:4]:
                        base = root.text.rstrip("/") or "/"
                        match = Word(base + "/" + "\u2217found", base + "/{}", dynamic=root.dynamic)
                        inner = [
                            Word(w.text.replace("{}", match.text), w.raw, dynamic=w.dynamic or match.dynamic)
                            if "{}" in w.text
                            else w
                            for w in payload
                        ]
                        self._add_part(inner, replace(ctx, via=f"find {t}", pipe_sources=()), part.display)
                i = j + 1
                continue
            i += 1

    def _cd(self, part: Part, ctx: _Ctx) -> None:
        # cd changes where later relative paths land; track it so "cd / && rm -rf x" is judged right.
        args = [w for w in part.args if not (w.text.startswith("-") and w.text != "-")]
        new: Path | None
        if part.name == "popd":
            new = None
        elif not args:
            new = Path(os.path.expanduser("~"))
        else:
            w = args[0]
            if w.dynamic or w.glob or w.text == "-" or ctx.cwd is None:
                new = None  # "cd .gi?" lands wherever the glob matches: unknown until run time
            else:
                p = Path(w.text)
                new = Path(os.path.normpath(str(p if p.is_absolute() else ctx.cwd / p)))
        # Later commands of the same shell see the new directory (the cell is shared with them).
        ctx.cell.path = new


def _first_error(node: Any) -> Any:
    if node.type == "ERROR" or node.is_missing:
        return node
    for c in node.children:
        if c.has_error or c.is_missing:
            found = _first_error(c)
            if found is not None:
                return found
    return None


# wrapper name -> (options that take a value, positional args to skip before the command)
_WRAPPERS: dict[str, tuple[frozenset[str], int]] = {
    "sudo": (
        frozenset(
            {
                "-u",
                "-g",
                "-C",
                "-D",
                "-h",
                "-p",
                "-r",
                "-t",
                "-T",
                "-U",
                "--user",
                "--group",
                "--chdir",
                "--prompt",
                "--host",
                "--role",
                "--type",
                "--close-from",
            }
        ),
        0,
    ),
    "doas": (frozenset({"-u", "-C"}), 0),
    "pkexec": (frozenset({"--user"}), 0),
    "env": (frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string", "-P"}), 0),
    "nice": (frozenset({"-n", "--adjustment"}), 0),
    "nohup": (frozenset(), 0),
    "timeout": (frozenset({"-s", "--signal", "-k", "--kill-after"}), 1),
    "time": (frozenset({"-o", "--output", "-f", "--format"}), 0),
    "command": (frozenset(), 0),
    "exec": (frozenset({"-a"}), 0),
    "builtin": (frozenset(), 0),
    "stdbuf": (frozenset({"-i", "-o", "-e", "--input", "--output", "--error"}), 0),
    "ionice": (frozenset({"-c", "-n", "-p", "-P", "-u", "--class", "--classdata"}), 0),
    "chrt": (frozenset(), 1),
    "taskset": (frozenset({"-c", "--cpu-list"}), 1),
    "setsid": (frozenset(), 0),
    "unbuffer": (frozenset(), 0),
    "catchsegv": (frozenset(), 0),
    "xvfb-run": (frozenset({"-n", "-s", "-f", "-e", "--server-args", "--auth-file", "--error-file"}), 0),
    "strace": (frozenset({"-o", "-e", "-p", "-s", "-u", "-E", "-P", "-a", "-b", "-I", "-O", "-S", "-X"}), 0),
    "ltrace": (frozenset({"-o", "-e", "-p", "-s", "-u", "-E", "-a", "-n", "-l", "-x"}), 0),
    "chroot": (frozenset({"--userspec", "--groups"}), 1),
    "coproc": (frozenset(), 0),
    "busybox": (frozenset(), 0),
    "proxychains": (frozenset({"-f"}), 0),
    "proxychains4": (frozenset({"-f"}), 0),
    "torsocks": (frozenset(), 0),
    "fakeroot": (frozenset(), 0),
    "caffeinate": (frozenset(), 0),
    "npx": (frozenset({"-p", "--package", "-c", "--call"}), 0),
    "systemd-run": (
        frozenset(
            {
                "-u",
                "--unit",
                "-p",
                "--property",
                "-E",
                "--setenv",
                "--uid",
                "--gid",
                "-M",
                "--machine",
                "--description",
                "--slice",
                "--working-directory",
            }
        ),
        0,
    ),
    "unshare": (
        frozenset(
            {"--map-user", "--map-group", "-S", "--setuid", "-G", "--setgid", "-R", "--root", "-w", "--wd"}
        ),
        0,
    ),
    "nsenter": (
        frozenset({"-t", "--target", "-S", "--setuid", "-G", "--setgid", "-r", "--root", "-w", "--wd"}),
        0,
    ),
}
# "uv run X", "poetry run X" ...: runners whose sub-command "run"/"exec" runs the rest.
_RUNNERS = {
    "uv": ("run",),
    "poetry": ("run",),
    "pipenv": ("run",),
    "pdm": ("run",),
    "hatch": ("run",),
    "rye": ("run",),
    "conda": ("run",),
    "mamba": ("run",),
    "bundle": ("exec",),
    "pixi": ("run",),
}


def wrapper_inner_start(name: str, args: list[Word]) -> int | None:
    """Index in ``args`` where the command a wrapper runs starts; None if ``name`` is not a wrapper."""
    return _wrapper_inner_start(name, args)


def _wrapper_inner_start(name: str, args: list[Word]) -> int | None:
    """Index in ``args`` where the wrapped command starts; None if ``name`` is not a wrapper."""
    if name in _RUNNERS:
        if not args or args[0].text not in _RUNNERS[name]:
            return None
        i = 1
        while i < len(args) and args[i].text.startswith("-"):
            if args[i].text in (
                "-n",
                "--name",
                "-p",
                "--prefix",
                "--with",
                "--python",
                "--env",
                "-e",
                "--project",
                "--directory",
                "--package",
                "--extra",
                "--group",
            ):
                i += 1
            i += 1
        return i
    spec = _WRAPPERS.get(name)
    if spec is None:
        return None
    value_opts, positional = spec
    if name == "command" and args and args[0].text in ("-v", "-V"):
        return None  # "command -v x" only looks x up
    if name == "coproc" and len(args) > 1 and re.fullmatch(r"[A-Z_][A-Z0-9_]*", args[0].text):
        return 1
    i = 0
    while i < len(args):
        t = args[i].text
        if t == "--":
            i += 1
            break
        if name == "env" and "=" in t and not t.startswith("-"):
            i += 1
            continue
        if name == "nice" and re.fullmatch(r"-\d+", t):
            i += 1
            continue
        if t.startswith("-") and len(t) > 1:
            if t in value_opts:
                i += 2
            else:
                i += 1
            continue
        break
    i += positional
    return i if i <= len(args) else len(args)


def _string_payload(name: str, args: list[Word]) -> list[Word] | None:
    """The command string some programs hand to a shell (su -c, watch, ssh host CMD, trap CMD)."""
    texts = [w.text for w in args]
    if name in ("su", "runuser", "script", "flock", "sg"):
        for flag in ("-c", "--command"):
            if flag in texts:
                k = texts.index(flag)
                return args[k + 1 : k + 2] or None
        if name == "flock":
            # flock [opts] FILE CMD ARGS...
            pos = [i for i, t in enumerate(texts) if not t.startswith("-")]
            return args[pos[1] :] if len(pos) > 1 else None
        if name == "runuser" and "--" in texts:
            return args[texts.index("--") + 1 :] or None
        return None
    if name == "watch":
        i = 0
        while i < len(args) and args[i].text.startswith("-"):
            i += 2 if args[i].text in ("-n", "--interval") else 1
        return args[i:] or None
    if name == "trap":
        if args and args[0].text not in ("-", "", "-p", "-l"):
            return args[:1]
        return None
    if name == "ssh":
        takes = set("BbcDEeFIiJLlmOopQRSWw")
        i = 0
        while i < len(args):
            t = args[i].text
            if t.startswith("-") and len(t) > 1:
                i += 2 if (len(t) == 2 and t[1] in takes) else 1
                continue
            break
        rest = args[i + 1 :]
        return rest or None
    if name == "parallel":
        if ":::" in texts:
            return args[: texts.index(":::")] or None
        return args or None
    return None


def analyze(command: str, cwd: Path, workspace: Path) -> Analysis:
    """Parse ``command`` as bash would run it in ``cwd``; see :class:`Analysis`."""
    return Analyzer(command, cwd, workspace).run()
