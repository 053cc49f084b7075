"""Known-safe shapes of search tools and of text tools with a language inside (grep, rg, find, jq,
sed, awk) and of tar."""

from __future__ import annotations

import re

from openagent_lsp.policy.risk.text import sed_script_danger
from openagent_lsp.policy.shapes.catalog_files import HELP, gnu
from openagent_lsp.policy.shapes.options import Arg, Parsed, Syntax, flags, opt
from openagent_lsp.policy.shapes.program import Program

T, R, W, TREE = Arg.TEXT, Arg.READ, Arg.WRITE, Arg.READ_TREE
DIGITS = flags(*(f"-{d}" for d in "0123456789"))

GREP = Program(
    gnu(
        opt("-E", "--extended-regexp"),
        opt("-F", "--fixed-strings"),
        opt("-G", "--basic-regexp"),
        opt("-P", "--perl-regexp"),
        opt("-e", "--regexp", arg=T),
        opt("-f", "--file", arg=R),
        opt("-i", "-y", "--ignore-case"),
        opt("--no-ignore-case"),
        opt("-w", "--word-regexp"),
        opt("-x", "--line-regexp"),
        opt("-z", "--null-data"),
        opt("-s", "--no-messages"),
        opt("-v", "--invert-match"),
        opt("-V"),
        opt("-m", "--max-count", arg=T),
        opt("-b", "--byte-offset"),
        opt("-n", "--line-number"),
        opt("--line-buffered"),
        opt("-H", "--with-filename"),
        opt("-h", "--no-filename"),
        opt("--label", arg=T),
        opt("-o", "--only-matching"),
        opt("-q", "--quiet", "--silent"),
        opt("--binary-files", arg=T),
        opt("-a", "--text"),
        opt("-I"),
        opt("-d", "--directories", arg=T),
        opt("-D", "--devices", arg=T),
        opt("-r", "--recursive"),
        opt("-R", "--dereference-recursive"),
        opt("--include", arg=T),
        opt("--exclude", arg=T),
        opt("--exclude-from", arg=R),
        opt("--exclude-dir", arg=T),
        opt("-L", "--files-without-match"),
        opt("-l", "--files-with-matches"),
        opt("-c", "--count"),
        opt("-T", "--initial-tab"),
        opt("-Z", "--null"),
        opt("-B", "--before-context", arg=T),
        opt("-A", "--after-context", arg=T),
        opt("-C", "--context", arg=T),
        opt("--color", "--colour", arg=T, optional=True),
        opt("-U", "--binary"),
        DIGITS,
    )
)

# ripgrep parses its own options: no abbreviations.
RG = Program(
    Syntax(
        (
            *HELP,
            *flags("-h", "-V"),
            opt("-e", "--regexp", arg=T),
            opt("-f", "--file", arg=R),
            opt("--pre", arg=Arg.CODE, why="runs a preprocessor program on every file"),
            opt("--pre-glob", arg=T),
            opt("--hostname-bin", arg=Arg.CODE, why="runs a program to find the host name"),
            opt("-z", "--search-zip"),
            opt("--hidden", "-."),
            opt("--no-hidden"),
            opt("-u", "--unrestricted"),
            opt("--no-ignore"),
            opt("--ignore"),
            opt("--no-ignore-dot", "--no-ignore-exclude", "--no-ignore-files", "--no-ignore-global"),
            opt("--no-ignore-parent", "--no-ignore-vcs", "--no-require-git", "--no-ignore-messages"),
            opt("--ignore-file", arg=R),
            opt("--ignore-file-case-insensitive"),
            opt("-L", "--follow"),
            opt("--no-follow"),
            opt("--files"),
            opt("-l", "--files-with-matches"),
            opt("--files-without-match"),
            opt("-c", "--count"),
            opt("--count-matches"),
            opt("-n", "--line-number"),
            opt("-N", "--no-line-number"),
            opt("-i", "--ignore-case"),
            opt("-S", "--smart-case"),
            opt("-s", "--case-sensitive"),
            opt("-w", "--word-regexp"),
            opt("-x", "--line-regexp"),
            opt("-v", "--invert-match"),
            opt("-F", "--fixed-strings"),
            opt("--no-fixed-strings"),
            opt("-t", "--type", arg=T),
            opt("-T", "--type-not", arg=T),
            opt("--type-add", arg=T),
            opt("--type-clear", arg=T),
            opt("--type-list"),
            opt("-g", "--glob", arg=T),
            opt("--iglob", arg=T),
            opt("--glob-case-insensitive"),
            opt("-A", "--after-context", arg=T),
            opt("-B", "--before-context", arg=T),
            opt("-C", "--context", arg=T),
            opt("--context-separator", arg=T),
            opt("--no-context-separator"),
            opt("-j", "--threads", arg=T),
            opt("-d", "--max-depth", "--maxdepth", arg=T),
            opt("--max-filesize", arg=T),
            opt("-m", "--max-count", arg=T),
            opt("-M", "--max-columns", arg=T),
            opt("--max-columns-preview"),
            opt("--json"),
            opt("--no-json"),
            opt("--heading"),
            opt("--no-heading"),
            opt("-H", "--with-filename"),
            opt("-I", "--no-filename"),
            opt("--color", arg=T),
            opt("--colors", arg=T),
            opt("-p", "--pretty"),
            opt("-o", "--only-matching"),
            opt("-r", "--replace", arg=T),
            opt("--passthru", "--passthrough"),
            opt("--sort", arg=T),
            opt("--sortr", arg=T),
            opt("--sort-files"),
            opt("-0", "--null"),
            opt("--null-data"),
            opt("--vimgrep"),
            opt("--column"),
            opt("--no-column"),
            opt("-b", "--byte-offset"),
            opt("--trim"),
            opt("--no-trim"),
            opt("--stats"),
            opt("-q", "--quiet"),
            opt("-a", "--text"),
            opt("--binary"),
            opt("--no-binary"),
            opt("--crlf"),
            opt("--no-crlf"),
            opt("-U", "--multiline"),
            opt("--multiline-dotall"),
            opt("-P", "--pcre2"),
            opt("--no-pcre2"),
            opt("--engine", arg=T),
            opt("-E", "--encoding", arg=T),
            opt("--no-encoding"),
            opt("--line-buffered"),
            opt("--block-buffered"),
            opt("--one-file-system"),
            opt("--no-messages"),
            opt("--include-zero"),
            opt("--no-config"),
            opt("--debug"),
            opt("--trace"),
            opt("--mmap"),
            opt("--no-mmap"),
            opt("--path-separator", arg=T),
            opt("--field-match-separator", arg=T),
            opt("--field-context-separator", arg=T),
            opt("--dfa-size-limit", arg=T),
            opt("--regex-size-limit", arg=T),
            opt("--auto-hybrid-regex"),
            opt("--no-unicode"),
            opt("--hyperlink-format", arg=T),
        ),
        abbreviate=False,
    )
)

JQ = Program(
    Syntax(
        (
            *HELP,
            *flags("-h", "-V", "-r", "-j", "-a", "-c", "-C", "-M", "-n", "-s", "-S", "-e", "-R"),
            opt("--raw-output", "--raw-output0", "--join-output", "--ascii-output", "--compact-output"),
            opt("--color-output", "--monochrome-output", "--null-input", "--slurp", "--sort-keys"),
            opt("--exit-status", "--raw-input", "--tab", "--seq", "--stream", "--stream-errors", "--unbuffered"),
            opt("--indent", arg=T),
            opt("--arg", arg=T, extra_values=1),
            opt("--argjson", arg=T, extra_values=1),
            opt("--slurpfile", arg=T, extra_values=1, why="reads a file"),
            opt("--rawfile", arg=T, extra_values=1, why="reads a file"),
            opt("--args"),
            opt("--jsonargs"),
            opt("-f", "--from-file", arg=Arg.UNSAFE, why="reads the filter from a file"),
            opt("-L", arg=Arg.UNSAFE, why="loads jq modules from a directory"),
        ),
        abbreviate=False,
    ),
    operands=(T,),
    check=lambda parsed: (
        "the jq filter reads environment variables (tokens and keys included)"
        if parsed.operands
        and re.search(r"\benv\b|\$ENV|\$__prog_args|input_filename|getpath\(\[\"env", parsed.operands[0].text)
        else (
            "jq --slurpfile/--rawfile read files: not judged here"
            if parsed.has("--slurpfile") or parsed.has("--rawfile")
            else ""
        )
    ),
)


def _sed_check(parsed: Parsed) -> str:
    scripts = parsed.values("-e")
    if not scripts and not parsed.has("-f") and parsed.operands:
        scripts = parsed.operands[:1]
    for s in scripts:
        if s.dynamic:
            return "the sed script is only known at run time"
        danger = sed_script_danger(s.text)
        if danger == "exec":
            return "the sed script runs commands (e)"
        if danger == "write":
            return "the sed script writes files (w)"
        if re.search(r"(^|[;{}\s\d$/])[rR]\s*\S", s.text) and _sed_reads(s.text):
            return "the sed script reads other files (r/R)"
    return ""


def _sed_reads(script: str) -> bool:
    """Whether a sed script uses the r/R commands (read a named file into the output)."""
    i, n = 0, len(script)
    while i < n:
        c = script[i]
        if c in "/\\":
            delim = c if c == "/" else (script[i + 1] if i + 1 < n else "/")
            i += 1 if c == "/" else 2
            while i < n and script[i] != delim:
                i += 2 if script[i] == "\\" else 1
            i += 1
            continue
        if c in "sy" and i + 1 < n:
            delim = script[i + 1]
            i += 2
            for _ in range(2):
                while i < n and script[i] != delim:
                    i += 2 if script[i] == "\\" else 1
                i += 1
            while i < n and script[i] not in ";\n}":
                i += 1
            continue
        if c in "aic":
            while i < n and script[i] != "\n":
                i += 1
            continue
        if c in "rR":
            return True
        i += 1
    return False


SED = Program(
    gnu(
        opt("-n", "--quiet", "--silent"),
        opt("--debug"),
        opt("-e", "--expression", arg=T),
        opt("-f", "--file", arg=Arg.UNSAFE, why="runs a sed script from a file"),
        opt("--follow-symlinks"),
        opt("-i", "--in-place", arg=T, optional=True),
        opt("-l", "--line-length", arg=T),
        opt("--posix"),
        opt("-E", "-r", "--regexp-extended"),
        opt("-s", "--separate"),
        opt("--sandbox"),
        opt("-u", "--unbuffered"),
        opt("-z", "--null-data"),
        opt("-b", "--binary"),
    ),
    check=_sed_check,
)

_AWK_DANGER = re.compile(r"system\s*\(|getline|ENVIRON|PROCINFO|\||@load|@include|/inet|close\s*\(|fflush")


def _awk_check(parsed: Parsed) -> str:
    program = parsed.values("-e") or parsed.values("--source") or parsed.operands[:1]
    if not program:
        return "awk without a program"
    for p in program:
        if p.dynamic:
            return "the awk program is only known at run time"
        m = _AWK_DANGER.search(p.text)
        if m:
            return f"the awk program uses {m.group(0).strip()!r} (runs commands, reads files or the environment)"
    return ""


AWK = Program(
    Syntax(
        (
            *HELP,
            opt("-F", "--field-separator", arg=T),
            opt("-v", "--assign", arg=T),
            opt("-f", "--file", arg=Arg.UNSAFE, why="runs an awk program from a file"),
            opt("-e", "--source", arg=T),
            opt("-i", "--include", arg=Arg.CODE, why="loads an awk library"),
            opt("-l", "--load", arg=Arg.CODE, why="loads a shared library into awk"),
            opt("-E", "--exec", arg=Arg.CODE, why="runs an awk program from a file"),
            opt("-b", "--characters-as-bytes"),
            opt("-c", "--traditional"),
            opt("-P", "--posix"),
            opt("-S", "--sandbox"),
            opt("-n", "--non-decimal-data"),
            opt("-N", "--use-lc-numeric"),
            opt("-s", "--no-optimize"),
            opt("-V"),
        ),
        permute=False,
    ),
    check=_awk_check,
)


_TAR_CODE = "makes tar run another program"
TAR = Program(
    Syntax(
        (
            *HELP,
            opt("--usage"),
            opt("-A", "--catenate", "--concatenate"),
            opt("-c", "--create"),
            opt("-d", "--diff", "--compare"),
            opt("--delete"),
            opt("-r", "--append"),
            opt("-t", "--list"),
            opt("--test-label"),
            opt("-u", "--update"),
            opt("-x", "--extract", "--get"),
            opt("-f", "--file", arg=T),
            opt("-C", "--directory", arg=T),
            opt("-v", "--verbose"),
            opt("-z", "--gzip", "--gunzip", "--ungzip"),
            opt("-j", "--bzip2"),
            opt("-J", "--xz"),
            opt("--zstd"),
            opt("--lzip"),
            opt("--lzma"),
            opt("--lzop"),
            opt("-Z", "--compress", "--uncompress"),
            opt("-a", "--auto-compress"),
            opt("--no-auto-compress"),
            opt("-I", "--use-compress-program", arg=Arg.CODE, why=_TAR_CODE),
            opt("--to-command", arg=Arg.CODE, why=_TAR_CODE),
            opt("--checkpoint", arg=T, optional=True),
            opt("--checkpoint-action", arg=Arg.CODE, why=_TAR_CODE),
            opt("-F", "--info-script", "--new-volume-script", arg=Arg.CODE, why=_TAR_CODE),
            opt("--rsh-command", arg=Arg.CODE, why=_TAR_CODE),
            opt("--rmt-command", arg=Arg.CODE, why=_TAR_CODE),
            opt("--force-local"),
            opt("-k", "--keep-old-files"),
            opt("--keep-newer-files"),
            opt("--keep-directory-symlink"),
            opt("--skip-old-files"),
            opt("--overwrite"),
            opt("--overwrite-dir"),
            opt("--no-overwrite-dir"),
            opt("-U", "--unlink-first"),
            opt("--recursive-unlink", arg=Arg.UNSAFE, why="deletes whole directories before extracting"),
            opt("--remove-files", arg=Arg.UNSAFE, why="deletes the files it archived"),
            opt("-p", "--preserve-permissions", "--same-permissions"),
            opt("--no-same-permissions"),
            opt("--same-owner"),
            opt("--no-same-owner"),
            opt("--numeric-owner"),
            opt("--owner", arg=T),
            opt("--group", arg=T),
            opt("--mode", arg=T),
            opt("--mtime", arg=T),
            opt("-m", "--touch"),
            opt("-P", "--absolute-names", arg=Arg.UNSAFE, why="lets tar write outside the target directory"),
            opt("-h", "--dereference"),
            opt("--hard-dereference"),
            opt("-O", "--to-stdout"),
            opt("-S", "--sparse"),
            opt("-W", "--verify"),
            opt("-T", "--files-from", arg=Arg.UNSAFE, why="archives the files named in another file"),
            opt("-X", "--exclude-from", arg=R),
            opt("--exclude", arg=T),
            opt("--exclude-vcs"),
            opt("--exclude-vcs-ignores"),
            opt("--exclude-caches"),
            opt("--exclude-backups"),
            opt("--wildcards"),
            opt("--no-wildcards"),
            opt("--anchored"),
            opt("--no-anchored"),
            opt("--strip-components", arg=T),
            opt("--transform", "--xform", arg=T),
            opt("--one-file-system"),
            opt("-l", "--check-links"),
            opt("--sort", arg=T),
            opt("-H", "--format", arg=T),
            opt("--posix"),
            opt("-b", "--blocking-factor", arg=T),
            opt("-B", "--read-full-records"),
            opt("-i", "--ignore-zeros"),
            opt("--ignore-failed-read"),
            opt("-N", "--newer", "--after-date", arg=T),
            opt("--newer-mtime", arg=T),
            opt("--totals", arg=T, optional=True),
            opt("-R", "--block-number"),
            opt("--show-transformed-names"),
            opt("--no-recursion"),
            opt("--recursion"),
            opt("--null"),
            opt("--no-null"),
            opt("-s", "--preserve-order", "--same-order"),
            opt("--warning", arg=T),
            opt("--xattrs"),
            opt("--no-xattrs"),
            opt("--acls"),
            opt("--no-acls"),
            opt("--utc"),
            opt("--full-time"),
            opt("--quoting-style", arg=T),
            opt("-g", "--listed-incremental", arg=Arg.UNSAFE, why="writes an incremental snapshot file"),
            opt("--index-file", arg=W),
            opt("-V", "--label", arg=T),
        ),
        old_style=True,
    ),
)


SEARCH_PROGRAMS: dict[str, Program] = {
    "grep": GREP,
    "egrep": GREP,
    "fgrep": GREP,
    "rg": RG,
    "jq": JQ,
    "sed": SED,
    "awk": AWK,
    "gawk": AWK,
    "mawk": AWK,
    "nawk": AWK,
    "tar": TAR,
}
