"""Known-safe shapes of file and text tools (GNU coreutils and friends).

Options are listed as the programs define them, dangerous ones included (as CODE/UNSAFE), so a
GNU abbreviation resolves to the option the program will really use. An option missing here is
unknown, and an unknown option asks.
"""

from __future__ import annotations

from openagent_lsp.policy.shapes.options import Arg, Opt, Syntax, flags, opt
from openagent_lsp.policy.shapes.program import Program

T, R, W = Arg.TEXT, Arg.READ, Arg.WRITE

HELP = (opt("--help"), opt("--version"))


def gnu(*options: Opt | tuple[Opt, ...]) -> Syntax:
    out: list[Opt] = [*HELP]
    for o in options:
        out.extend(o if isinstance(o, tuple) else (o,))
    return Syntax(tuple(out))


LS = Program(
    gnu(
        opt("-a", "--all"),
        opt("-A", "--almost-all"),
        opt("--author"),
        opt("-b", "--escape"),
        opt("--block-size", arg=T),
        opt("-B", "--ignore-backups"),
        flags("-c", "-C", "-f", "-g", "-l", "-m", "-o", "-S", "-t", "-u", "-U", "-v", "-x", "-X", "-1"),
        opt("--color", "--colour", arg=T, optional=True),
        opt("-d", "--directory"),
        opt("-D", "--dired"),
        opt("-F", "--classify", arg=T, optional=True),
        opt("--file-type"),
        opt("--format", arg=T),
        opt("--full-time"),
        opt("--group-directories-first"),
        opt("-G", "--no-group"),
        opt("-h", "--human-readable"),
        opt("--si"),
        opt("-H", "--dereference-command-line"),
        opt("--dereference-command-line-symlink-to-dir"),
        opt("--hide", arg=T),
        opt("--hyperlink", arg=T, optional=True),
        opt("--indicator-style", arg=T),
        opt("-i", "--inode"),
        opt("-I", "--ignore", arg=T),
        opt("-k", "--kibibytes"),
        opt("-L", "--dereference"),
        opt("-n", "--numeric-uid-gid"),
        opt("-N", "--literal"),
        opt("-q", "--hide-control-chars"),
        opt("--show-control-chars"),
        opt("-Q", "--quote-name"),
        opt("--quoting-style", arg=T),
        opt("-r", "--reverse"),
        opt("-R", "--recursive"),
        opt("-s", "--size"),
        opt("--sort", arg=T),
        opt("--time", arg=T),
        opt("--time-style", arg=T),
        opt("-T", "--tabsize", arg=T),
        opt("-w", "--width", arg=T),
        opt("-Z", "--context"),
        opt("--zero"),
    )
)

CAT = Program(
    gnu(
        opt("-A", "--show-all"),
        opt("-b", "--number-nonblank"),
        opt("-e"),
        opt("-E", "--show-ends"),
        opt("-n", "--number"),
        opt("-s", "--squeeze-blank"),
        opt("-t"),
        opt("-T", "--show-tabs"),
        opt("-u"),
        opt("-v", "--show-nonprinting"),
    )
)

_HEAD_TAIL_COMMON = (
    # "head -5" is GNU's old spelling of "head -n 5".
    flags(*(f"-{d}" for d in "0123456789")),
    opt("-c", "--bytes", arg=T),
    opt("-n", "--lines", arg=T),
    opt("-q", "--quiet", "--silent"),
    opt("-v", "--verbose"),
    opt("-z", "--zero-terminated"),
)
HEAD = Program(gnu(*_HEAD_TAIL_COMMON))
TAIL = Program(
    gnu(
        *_HEAD_TAIL_COMMON,
        opt("-f", "--follow", arg=T, optional=True),
        opt("-F"),
        opt("--max-unchanged-stats", arg=T),
        opt("--pid", arg=T),
        opt("--retry"),
        opt("-s", "--sleep-interval", arg=T),
    )
)
WC = Program(
    gnu(
        opt("-c", "--bytes"),
        opt("-m", "--chars"),
        opt("-l", "--lines"),
        opt("-L", "--max-line-length"),
        opt("-w", "--words"),
        opt("--files0-from", arg=Arg.UNSAFE, why="reads the files named in another file"),
        opt("--total", arg=T),
    )
)
SORT = Program(
    gnu(
        opt("-b", "--ignore-leading-blanks"),
        opt("-d", "--dictionary-order"),
        opt("-f", "--ignore-case"),
        opt("-g", "--general-numeric-sort"),
        opt("-i", "--ignore-nonprinting"),
        opt("-M", "--month-sort"),
        opt("-h", "--human-numeric-sort"),
        opt("-n", "--numeric-sort"),
        opt("-R", "--random-sort"),
        opt("--random-source", arg=R),
        opt("-r", "--reverse"),
        opt("--sort", arg=T),
        opt("-V", "--version-sort"),
        opt("--batch-size", arg=T),
        opt("-c", "--check", arg=T, optional=True),
        opt("-C"),
        opt("--compress-program", arg=Arg.CODE, why="runs a compression program"),
        opt("--debug"),
        opt("--files0-from", arg=Arg.UNSAFE, why="reads the files named in another file"),
        opt("-k", "--key", arg=T),
        opt("-m", "--merge"),
        opt("-o", "--output", arg=W),
        opt("-s", "--stable"),
        opt("-S", "--buffer-size", arg=T),
        opt("-t", "--field-separator", arg=T),
        opt("-T", "--temporary-directory", arg=Arg.WRITE_DIR),
        opt("--parallel", arg=T),
        opt("-u", "--unique"),
        opt("-z", "--zero-terminated"),
    )
)
UNIQ = Program(
    gnu(
        opt("-c", "--count"),
        opt("-d", "--repeated"),
        opt("-D", "--all-repeated", arg=T, optional=True),
        opt("-f", "--skip-fields", arg=T),
        opt("--group", arg=T, optional=True),
        opt("-i", "--ignore-case"),
        opt("-s", "--skip-chars", arg=T),
        opt("-u", "--unique"),
        opt("-z", "--zero-terminated"),
        opt("-w", "--check-chars", arg=T),
    ),
    operands=(R, W),
    max_operands=2,
)
CUT = Program(
    gnu(
        opt("-b", "--bytes", arg=T),
        opt("-c", "--characters", arg=T),
        opt("-d", "--delimiter", arg=T),
        opt("-f", "--fields", arg=T),
        opt("-n"),
        opt("--complement"),
        opt("-s", "--only-delimited"),
        opt("--output-delimiter", arg=T),
        opt("-z", "--zero-terminated"),
    )
)
TR = Program(
    gnu(
        opt("-c", "-C", "--complement"),
        opt("-d", "--delete"),
        opt("-s", "--squeeze-repeats"),
        opt("-t", "--truncate-set1"),
    ),
    rest=T,
    max_operands=2,
)
DIFF = Program(
    gnu(
        flags(
            "-i",
            "-E",
            "-Z",
            "-b",
            "-w",
            "-B",
            "-a",
            "-c",
            "-u",
            "-e",
            "-n",
            "-y",
            "-t",
            "-T",
            "-l",
            "-r",
            "-N",
            "-s",
            "-q",
            "-p",
            "-d",
        ),
        opt("--normal"),
        opt("-q", "--brief"),
        opt("-s", "--report-identical-files"),
        opt("-C", "--context", arg=T, optional=True),
        opt("-U", "--unified", arg=T, optional=True),
        opt("--ed"),
        opt("--rcs"),
        opt("--side-by-side"),
        opt("-W", "--width", arg=T),
        opt("--left-column"),
        opt("--suppress-common-lines"),
        opt("--show-c-function"),
        opt("-F", "--show-function-line", arg=T),
        opt("--label", arg=T),
        opt("--expand-tabs"),
        opt("--initial-tab"),
        opt("--tabsize", arg=T),
        opt("--suppress-blank-empty"),
        opt("--paginate"),
        opt("--recursive"),
        opt("--no-dereference"),
        opt("--new-file"),
        opt("--unidirectional-new-file"),
        opt("--ignore-file-name-case"),
        opt("--no-ignore-file-name-case"),
        opt("-x", "--exclude", arg=T),
        opt("-X", "--exclude-from", arg=R),
        opt("-S", "--starting-file", arg=T),
        opt("--from-file", arg=R),
        opt("--to-file", arg=R),
        opt("--ignore-case"),
        opt("--ignore-tab-expansion"),
        opt("--ignore-trailing-space"),
        opt("--ignore-space-change"),
        opt("--ignore-all-space"),
        opt("--ignore-blank-lines"),
        opt("-I", "--ignore-matching-lines", arg=T),
        opt("--text"),
        opt("--strip-trailing-cr"),
        opt("-D", "--ifdef", arg=T),
        opt("--old-group-format", "--new-group-format", "--unchanged-group-format", "--changed-group-format", arg=T),
        opt("--line-format", "--old-line-format", "--new-line-format", "--unchanged-line-format", arg=T),
        opt("--minimal"),
        opt("--horizon-lines", arg=T),
        opt("--speed-large-files"),
        opt("--color", arg=T, optional=True),
        opt("--palette", arg=T),
        opt("--no-color"),
    ),
    max_operands=2,
)
CMP = Program(
    gnu(
        opt("-b", "--print-bytes"),
        opt("-i", "--ignore-initial", arg=T),
        opt("-l", "--verbose"),
        opt("-n", "--bytes", arg=T),
        opt("-s", "--quiet", "--silent"),
    ),
    operands=(R, R, T, T),
    max_operands=4,
)
COMM = Program(
    gnu(
        flags("-1", "-2", "-3"),
        opt("--check-order"),
        opt("--nocheck-order"),
        opt("--output-delimiter", arg=T),
        opt("--total"),
        opt("-z", "--zero-terminated"),
    ),
    max_operands=2,
)
PASTE = Program(gnu(opt("-d", "--delimiters", arg=T), opt("-s", "--serial"), opt("-z", "--zero-terminated")))
JOIN = Program(
    gnu(
        opt("-a", arg=T),
        opt("-e", arg=T),
        opt("-i", "--ignore-case"),
        opt("-j", arg=T),
        opt("-o", arg=T),
        opt("-t", arg=T),
        opt("-v", arg=T),
        opt("-1", arg=T),
        opt("-2", arg=T),
        opt("--check-order"),
        opt("--nocheck-order"),
        opt("--header"),
        opt("-z", "--zero-terminated"),
    ),
    max_operands=2,
)
NL = Program(
    gnu(
        opt("-b", "--body-numbering", arg=T),
        opt("-d", "--section-delimiter", arg=T),
        opt("-f", "--footer-numbering", arg=T),
        opt("-h", "--header-numbering", arg=T),
        opt("-i", "--line-increment", arg=T),
        opt("-l", "--join-blank-lines", arg=T),
        opt("-n", "--number-format", arg=T),
        opt("-p", "--no-renumber"),
        opt("-s", "--number-separator", arg=T),
        opt("-v", "--starting-line-number", arg=T),
        opt("-w", "--number-width", arg=T),
    )
)
TAC = Program(gnu(opt("-b", "--before"), opt("-r", "--regex"), opt("-s", "--separator", arg=T)))
REV = Program(Syntax(flags("-h", "-V", "-0")))
FOLD = Program(gnu(opt("-b", "--bytes"), opt("-s", "--spaces"), opt("-w", "--width", arg=T)))
FMT = Program(
    gnu(
        opt("-c", "--crown-margin"),
        opt("-p", "--prefix", arg=T),
        opt("-s", "--split-only"),
        opt("-t", "--tagged-paragraph"),
        opt("-u", "--uniform-spacing"),
        opt("-w", "--width", arg=T),
        opt("-g", "--goal", arg=T),
    )
)
EXPAND = Program(gnu(opt("-i", "--initial"), opt("-t", "--tabs", arg=T)))
UNEXPAND = Program(gnu(opt("-a", "--all"), opt("--first-only"), opt("-t", "--tabs", arg=T)))
COLUMN = Program(
    Syntax(
        (
            *HELP,
            opt("-t", "--table"),
            opt("-s", "--separator", arg=T),
            opt("-o", "--output-separator", arg=T),
            opt("-c", "--output-width", arg=T),
            opt("-x", "--fillrows"),
            opt("-N", "--table-columns", arg=T),
            opt("-R", "--table-right", arg=T),
            opt("-n", "--table-name", arg=T),
            opt("-J", "--json"),
            opt("-e", "--table-noextreme", arg=T),
            opt("-L", "--keep-empty-lines"),
        )
    )
)
OD = Program(
    gnu(
        opt("-A", "--address-radix", arg=T),
        opt("--endian", arg=T),
        opt("-j", "--skip-bytes", arg=T),
        opt("-N", "--read-bytes", arg=T),
        opt("-S", "--strings", arg=T, optional=True),
        opt("-t", "--format", arg=T),
        opt("-v", "--output-duplicates"),
        opt("-w", "--width", arg=T, optional=True),
        opt("--traditional"),
        flags("-a", "-b", "-c", "-d", "-f", "-i", "-l", "-o", "-s", "-x"),
    )
)
XXD = Program(
    Syntax(
        (
            *flags("-a", "-b", "-C", "-e", "-E", "-i", "-p", "-ps", "-r", "-u", "-h", "-v", "-version"),
            opt("-c", "-cols", arg=T),
            opt("-g", "-groupsize", arg=T),
            opt("-l", "-len", arg=T),
            opt("-n", "-name", arg=T),
            opt("-o", arg=T),
            opt("-s", "-seek", arg=T),
        ),
        abbreviate=False,
        single_dash_long=True,
    ),
    operands=(R, W),
    max_operands=2,
)
HEXDUMP = Program(
    Syntax(
        (
            *flags("-b", "-c", "-C", "-d", "-o", "-x", "-v"),
            opt("-e", arg=T),
            opt("-f", arg=R),
            opt("-n", arg=T),
            opt("-s", arg=T),
        )
    )
)
STRINGS = Program(
    Syntax(
        (
            *HELP,
            opt("-a", "--all"),
            opt("-d", "--data"),
            opt("-f", "--print-file-name"),
            opt("-n", "--bytes", arg=T),
            opt("-t", "--radix", arg=T),
            opt("-e", "--encoding", arg=T),
            opt("-w", "--include-all-whitespace"),
            opt("-s", "--output-separator", arg=T),
        )
    )
)
_ENCODE = Program(gnu(opt("-d", "--decode"), opt("-i", "--ignore-garbage"), opt("-w", "--wrap", arg=T)), max_operands=1)
_SUMS = Program(
    gnu(
        opt("-b", "--binary"),
        opt("-c", "--check"),
        opt("--tag"),
        opt("-t", "--text"),
        opt("-z", "--zero"),
        opt("--ignore-missing"),
        opt("--quiet"),
        opt("--status"),
        opt("--strict"),
        opt("-w", "--warn"),
        opt("-l", "--length", arg=T),
    )
)
FILE = Program(
    Syntax(
        (
            *HELP,
            opt("-b", "--brief"),
            opt("-i", "--mime"),
            opt("--mime-type"),
            opt("--mime-encoding"),
            opt("-L", "--dereference"),
            opt("-h", "--no-dereference"),
            opt("-z", "--uncompress"),
            opt("-Z", "--uncompress-noreport"),
            opt("-k", "--keep-going"),
            opt("-s", "--special-files"),
            opt("-N", "--no-pad"),
            opt("-0", "--print0"),
            opt("-r", "--raw"),
            opt("-E"),
            opt("-F", "--separator", arg=T),
            opt("-e", "--exclude", arg=T),
            opt("-f", "--files-from", arg=Arg.UNSAFE, why="reads the files named in another file"),
        )
    )
)
STAT = Program(
    gnu(
        opt("-L", "--dereference"),
        opt("-f", "--file-system"),
        opt("--cached", arg=T),
        opt("-c", "--format", arg=T),
        opt("--printf", arg=T),
        opt("-t", "--terse"),
    )
)
DU = Program(
    gnu(
        opt("-0", "--null"),
        opt("-a", "--all"),
        opt("--apparent-size"),
        opt("-B", "--block-size", arg=T),
        opt("-b", "--bytes"),
        opt("-c", "--total"),
        opt("-D", "--dereference-args"),
        opt("-d", "--max-depth", arg=T),
        opt("--files0-from", arg=Arg.UNSAFE, why="reads the files named in another file"),
        opt("-H"),
        opt("-h", "--human-readable"),
        opt("--inodes"),
        opt("-k"),
        opt("-L", "--dereference"),
        opt("-l", "--count-links"),
        opt("-m"),
        opt("-P", "--no-dereference"),
        opt("-S", "--separate-dirs"),
        opt("--si"),
        opt("-s", "--summarize"),
        opt("-t", "--threshold", arg=T),
        opt("--time", arg=T, optional=True),
        opt("--time-style", arg=T),
        opt("-X", "--exclude-from", arg=R),
        opt("--exclude", arg=T),
        opt("-x", "--one-file-system"),
    )
)
DF = Program(
    gnu(
        opt("-a", "--all"),
        opt("-B", "--block-size", arg=T),
        opt("-h", "--human-readable"),
        opt("-H", "--si"),
        opt("-i", "--inodes"),
        opt("-k"),
        opt("-l", "--local"),
        opt("--no-sync"),
        opt("--output", arg=T, optional=True),
        opt("-P", "--portability"),
        opt("--sync"),
        opt("--total"),
        opt("-t", "--type", arg=T),
        opt("-T", "--print-type"),
        opt("-x", "--exclude-type", arg=T),
    )
)
TREE = Program(
    Syntax(
        (
            *flags(
                "-a",
                "-d",
                "-f",
                "-i",
                "-q",
                "-N",
                "-p",
                "-u",
                "-g",
                "-s",
                "-h",
                "-D",
                "-F",
                "-v",
                "-t",
                "-c",
                "-U",
                "-r",
                "-C",
                "-n",
                "-x",
                "-l",
                "-Q",
                "-A",
                "-S",
                "-J",
                "-X",
            ),
            opt("-L", arg=T),
            opt("-P", arg=T),
            opt("-I", arg=T),
            opt("--noreport"),
            opt("--dirsfirst"),
            opt("--filesfirst"),
            opt("--gitignore"),
            opt("--prune"),
            opt("--matchdirs"),
            opt("--ignore-case"),
            opt("--charset", arg=T),
            opt("--filelimit", arg=T),
            opt("--timefmt", arg=T),
            opt("--du"),
            opt("--si"),
            opt("--sort", arg=T),
            opt("--help"),
            opt("--version"),
            opt("-o", arg=W),
        ),
        abbreviate=False,
    )
)
BASENAME = Program(gnu(opt("-a", "--multiple"), opt("-s", "--suffix", arg=T), opt("-z", "--zero")), rest=T)
DIRNAME = Program(gnu(opt("-z", "--zero")), rest=T)
REALPATH = Program(
    gnu(
        opt("-e", "--canonicalize-existing"),
        opt("-m", "--canonicalize-missing"),
        opt("-L", "--logical"),
        opt("-P", "--physical"),
        opt("-q", "--quiet"),
        opt("--relative-to", arg=T),
        opt("--relative-base", arg=T),
        opt("-s", "--strip", "--no-symlinks"),
        opt("-z", "--zero"),
    ),
    rest=T,
)
READLINK = Program(
    gnu(
        opt("-f", "--canonicalize"),
        opt("-e", "--canonicalize-existing"),
        opt("-m", "--canonicalize-missing"),
        opt("-n", "--no-newline"),
        opt("-q", "--quiet"),
        opt("-s", "--silent"),
        opt("-v", "--verbose"),
        opt("-z", "--zero"),
    ),
    rest=T,
)
PWD = Program(Syntax(flags("-L", "-P")), max_operands=0)
WHICH = Program(Syntax(flags("-a", "-s")), rest=T)
DATE = Program(
    gnu(
        opt("-d", "--date", arg=T),
        opt("--debug"),
        opt("-f", "--file", arg=R),
        opt("-I", "--iso-8601", arg=T, optional=True),
        opt("--resolution"),
        opt("-R", "--rfc-email"),
        opt("--rfc-3339", arg=T),
        opt("-r", "--reference", arg=R),
        opt("-u", "--utc", "--universal"),
    ),
    rest=T,
    max_operands=1,
    check=lambda parsed: (
        "date with an operand sets the clock" if any(not w.text.startswith("+") for w in parsed.operands) else ""
    ),
)
NO_ARGS = Program(Syntax(), max_operands=0, rest=T)
TEXT_ARGS = Program(Syntax(permute=False, abbreviate=False), rest=T)
SEQ = Program(
    gnu(opt("-f", "--format", arg=T), opt("-s", "--separator", arg=T), opt("-w", "--equal-width")),
    rest=T,
    max_operands=3,
)
SLEEP = Program(gnu(), rest=T)
UNAME = Program(
    gnu(
        opt("-a", "--all"),
        opt("-s", "--kernel-name"),
        opt("-n", "--nodename"),
        opt("-r", "--kernel-release"),
        opt("-v", "--kernel-version"),
        opt("-m", "--machine"),
        opt("-p", "--processor"),
        opt("-i", "--hardware-platform"),
        opt("-o", "--operating-system"),
    ),
    max_operands=0,
)
ID = Program(
    gnu(
        opt("-a"),
        opt("-Z", "--context"),
        opt("-g", "--group"),
        opt("-G", "--groups"),
        opt("-n", "--name"),
        opt("-r", "--real"),
        opt("-u", "--user"),
        opt("-z", "--zero"),
    ),
    rest=T,
    max_operands=1,
)
NPROC = Program(gnu(opt("--all"), opt("--ignore", arg=T)), max_operands=0)
UPTIME = Program(gnu(opt("-p", "--pretty"), opt("-s", "--since")), max_operands=0)
FREE = Program(
    Syntax(
        (
            *HELP,
            *flags("-b", "-k", "-m", "-g", "-h", "-l", "-t", "-v", "-w"),
            opt("--kilo", "--mega", "--giga", "--tera", "--peta", "--kibi", "--mebi", "--gibi", "--tebi", "--pebi"),
            opt("--human"),
            opt("--si"),
            opt("--lohi"),
            opt("--total"),
            opt("--committed"),
            opt("--wide"),
            opt("-s", "--seconds", arg=T),
            opt("-c", "--count", arg=T),
        )
    ),
    max_operands=0,
)
PS = Program(
    Syntax(
        (
            *flags(*(f"-{c}" for c in "AaCcdefFgGHjlLMNOopqsStTuUvVwxyZ")),
            opt("--sort", arg=T),
            opt("--forest"),
            opt("--no-headers"),
            opt("--format", "-o", arg=T),
            opt("-p", "--pid", arg=T),
            opt("-u", "--user", arg=T),
            opt("-C", arg=T),
            opt("--help"),
            opt("--version"),
        ),
        abbreviate=False,
    ),
    rest=T,
)
ICONV = Program(
    gnu(
        opt("-f", "--from-code", arg=T),
        opt("-t", "--to-code", arg=T),
        opt("-l", "--list"),
        opt("-c"),
        opt("-o", "--output", arg=W),
        opt("-s", "--silent"),
        opt("--verbose"),
    )
)
TEE = Program(
    gnu(
        opt("-a", "--append"), opt("-i", "--ignore-interrupts"), opt("-p"), opt("--output-error", arg=T, optional=True)
    ),
    rest=W,
)
TOUCH = Program(
    gnu(
        opt("-a"),
        opt("-c", "--no-create"),
        opt("-f"),
        opt("-h", "--no-dereference"),
        opt("-m"),
        # Setting times hides what changed from anything that looks at modification times.
        opt("-d", "--date", arg=Arg.UNSAFE, why="sets a file's time"),
        opt("-r", "--reference", arg=Arg.UNSAFE, why="sets a file's time"),
        opt("-t", arg=Arg.UNSAFE, why="sets a file's time"),
        opt("--time", arg=T),
    ),
    rest=W,
    min_operands=1,
)
MKDIR = Program(
    gnu(
        opt("-m", "--mode", arg=T),
        opt("-p", "--parents"),
        opt("-v", "--verbose"),
        opt("-Z"),
        opt("--context", arg=T, optional=True),
    ),
    rest=W,
    min_operands=1,
)
_COPY_COMMON = (
    opt("--backup", arg=T, optional=True),
    opt("-b"),
    opt("-f", "--force"),
    opt("-i", "--interactive"),
    opt("-n", "--no-clobber"),
    opt("-S", "--suffix", arg=T),
    opt("-t", "--target-directory", arg=Arg.WRITE_DIR),
    opt("-T", "--no-target-directory"),
    opt("-u", "--update", arg=T, optional=True),
    opt("-v", "--verbose"),
    opt("-Z"),
    opt("--context", arg=T, optional=True),
    opt("--strip-trailing-slashes"),
)
CP = Program(
    gnu(
        *_COPY_COMMON,
        opt("-a", "--archive"),
        opt("--attributes-only"),
        opt("--copy-contents"),
        opt("-d"),
        opt("-H"),
        # Links make later writes through the copy land on the original: judged by the path policy.
        opt("-l", "--link", arg=Arg.NONE),
        opt("-L", "--dereference"),
        opt("-P", "--no-dereference"),
        opt("-p"),
        opt("--preserve", arg=T, optional=True),
        opt("--no-preserve", arg=T),
        opt("--parents"),
        opt("-R", "-r", "--recursive"),
        opt("--reflink", arg=T, optional=True),
        opt("--sparse", arg=T),
        opt("-s", "--symbolic-link"),
        opt("-x", "--one-file-system"),
        opt("--keep-directory-symlink"),
        opt("--debug"),
    ),
    min_operands=1,
    last_is_target=True,
    target_options=("-t", "--target-directory"),
)
MV = Program(
    gnu(*_COPY_COMMON, opt("--exchange"), opt("--no-copy")),
    min_operands=1,
    last_is_target=True,
    target_options=("-t", "--target-directory"),
)
LN = Program(
    gnu(
        *_COPY_COMMON,
        opt("-d", "-F", "--directory"),
        opt("-L", "--logical"),
        opt("-P", "--physical"),
        opt("-r", "--relative"),
        opt("-s", "--symbolic"),
        opt("--no-dereference"),
    ),
    min_operands=1,
    last_is_target=True,
    target_options=("-t", "--target-directory"),
)
INSTALL = Program(
    gnu(
        *_COPY_COMMON,
        opt("-c"),
        opt("-C", "--compare"),
        opt("-d", "--directory"),
        opt("-D"),
        opt("-g", "--group", arg=T),
        opt("-m", "--mode", arg=T),
        opt("-o", "--owner", arg=T),
        opt("-p", "--preserve-timestamps"),
        opt("-s", "--strip"),
        opt("--strip-program", arg=Arg.CODE, why="runs a program to strip binaries"),
        opt("--debug"),
        opt("--preserve-context"),
    ),
    min_operands=1,
    last_is_target=True,
    target_options=("-t", "--target-directory"),
)
RM = Program(
    gnu(
        opt("-f", "--force"),
        opt("-i"),
        opt("-I"),
        opt("--interactive", arg=T, optional=True),
        opt("--one-file-system"),
        opt("--no-preserve-root"),
        opt("--preserve-root", arg=T, optional=True),
        opt("-r", "-R", "--recursive"),
        opt("-d", "--dir"),
        opt("-v", "--verbose"),
    ),
    rest=W,
    min_operands=1,
)
RMDIR = Program(
    gnu(opt("--ignore-fail-on-non-empty"), opt("-p", "--parents"), opt("-v", "--verbose")), rest=W, min_operands=1
)
CHMOD = Program(
    gnu(
        opt("-c", "--changes"),
        opt("-f", "--silent", "--quiet"),
        opt("-v", "--verbose"),
        opt("--no-preserve-root"),
        opt("--preserve-root"),
        opt("--reference", arg=R),
        opt("-R", "--recursive"),
    ),
    operands=(T,),
    rest=W,
    min_operands=2,
)
_COMPRESS = (
    opt("-c", "--stdout", "--to-stdout"),
    opt("-d", "--decompress", "--uncompress"),
    opt("-f", "--force"),
    opt("-k", "--keep"),
    opt("-l", "--list"),
    opt("-n", "--no-name"),
    opt("-N", "--name"),
    opt("-q", "--quiet"),
    opt("-r", "--recursive"),
    opt("-S", "--suffix", arg=T),
    opt("-t", "--test"),
    opt("-v", "--verbose"),
    opt("--synchronous"),
    opt("--rsyncable"),
    flags(*(f"-{d}" for d in "123456789")),
    opt("--fast"),
    opt("--best"),
)
# The compressors replace each operand by its compressed form: every operand is written.
GZIP = Program(gnu(*_COMPRESS), rest=W)
ZCAT = Program(gnu(*_COMPRESS))
ECHO = Program(Syntax(flags("-n", "-e", "-E"), permute=False, abbreviate=False), rest=T)
TRUE = Program(Syntax(), rest=T)
YES = Program(Syntax(), rest=T)

FILE_PROGRAMS: dict[str, Program] = {
    "ls": LS,
    "dir": LS,
    "vdir": LS,
    "cat": CAT,
    "head": HEAD,
    "tail": TAIL,
    "wc": WC,
    "sort": SORT,
    "uniq": UNIQ,
    "cut": CUT,
    "tr": TR,
    "diff": DIFF,
    "cmp": CMP,
    "comm": COMM,
    "paste": PASTE,
    "join": JOIN,
    "nl": NL,
    "tac": TAC,
    "rev": REV,
    "fold": FOLD,
    "fmt": FMT,
    "expand": EXPAND,
    "unexpand": UNEXPAND,
    "column": COLUMN,
    "od": OD,
    "xxd": XXD,
    "hexdump": HEXDUMP,
    "strings": STRINGS,
    "base64": _ENCODE,
    "base32": _ENCODE,
    **{
        name: _SUMS
        for name in ("md5sum", "sha1sum", "sha224sum", "sha256sum", "sha384sum", "sha512sum", "b2sum", "cksum")
    },
    "file": FILE,
    "stat": STAT,
    "du": DU,
    "df": DF,
    "tree": TREE,
    "basename": BASENAME,
    "dirname": DIRNAME,
    "realpath": REALPATH,
    "readlink": READLINK,
    "pwd": PWD,
    "which": WHICH,
    "date": DATE,
    "true": TRUE,
    "false": TRUE,
    ":": TRUE,
    "seq": SEQ,
    "sleep": SLEEP,
    "uname": UNAME,
    "arch": NO_ARGS,
    "whoami": NO_ARGS,
    "logname": NO_ARGS,
    "tty": NO_ARGS,
    "id": ID,
    "groups": TEXT_ARGS,
    "nproc": NPROC,
    "uptime": UPTIME,
    "free": FREE,
    "ps": PS,
    "iconv": ICONV,
    "tee": TEE,
    "touch": TOUCH,
    "mkdir": MKDIR,
    "cp": CP,
    "mv": MV,
    "ln": LN,
    "install": INSTALL,
    "rm": RM,
    "rmdir": RMDIR,
    "unlink": Program(gnu(), rest=W, min_operands=1, max_operands=1),
    "chmod": CHMOD,
    "gzip": GZIP,
    "gunzip": GZIP,
    "bzip2": GZIP,
    "bunzip2": GZIP,
    "xz": GZIP,
    "unxz": GZIP,
    "zcat": ZCAT,
    "bzcat": ZCAT,
    "xzcat": ZCAT,
    "echo": ECHO,
    "yes": YES,
}
