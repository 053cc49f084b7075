"""RiskAssessor: how much harm each simple command (and their combination) can do.

Risk is judged on the normalised parts the shell analyzer produced, never on the raw string,
and it looks at combinations a per-command view misses: a secret read plus a network program in
the same line is exfiltration; a download or a decoder feeding a shell is remote code execution.
The verdict tables (how risk becomes ALLOW/DENY/REQUIRE_APPROVAL) live in engine.py; the levels
and examples are documented in default_policy.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from openagent_lsp.policy.paths import (
    SAFE_DEVICE_WRITES,
    PathRuleSet,
    check_path,
    glob_match,
    home_dir,
    is_block_device,
    is_net_device,
    is_protected_dir,
    match_path_patterns,
    resolve_user_path,
)
from openagent_lsp.policy.shell import (
    DYN,
    INLINE_CODE_FLAGS,
    SHELLS,
    Analysis,
    Part,
    Word,
    is_interpreter,
    is_python,
    program_dir_is_standard,
)
from openagent_lsp.policy.types import FileOp, Risk, Verdict


@dataclass(frozen=True)
class Finding:
    """One reason a command is risky. ``verdict`` forces a verdict (path rules); ``part`` links
    the finding to the part whose policy rules apply."""

    risk: Risk
    reason: str
    rule: str
    subject: str
    part: int | None = None
    verdict: Verdict | None = None
    unknown: bool = False
    unknown_program: bool = False


L, M, H, C = Risk.LOW, Risk.MEDIUM, Risk.HIGH, Risk.CRITICAL

READ_ONLY = frozenset(
    [
        "ls",
        "ll",
        "la",
        "dir",
        "vdir",
        "cat",
        "tac",
        "head",
        "tail",
        "less",
        "more",
        "most",
        "bat",
        "batcat",
        "grep",
        "egrep",
        "fgrep",
        "rg",
        "ag",
        "ack",
        "wc",
        "echo",
        "printf",
        "pwd",
        "which",
        "type",
        "whereis",
        "whatis",
        "apropos",
        "man",
        "info",
        "file",
        "stat",
        "du",
        "df",
        "tree",
        "basename",
        "dirname",
        "realpath",
        "readlink",
        "diff",
        "cmp",
        "comm",
        "sdiff",
        "uniq",
        "cut",
        "tr",
        "paste",
        "column",
        "nl",
        "fold",
        "fmt",
        "expand",
        "unexpand",
        "rev",
        "od",
        "xxd",
        "hexdump",
        "strings",
        "md5sum",
        "sha1sum",
        "sha224sum",
        "sha256sum",
        "sha384sum",
        "sha512sum",
        "b2sum",
        "shasum",
        "cksum",
        "sum",
        "base32",
        "base64",
        "jq",
        "yq",
        "date",
        "cal",
        "whoami",
        "id",
        "groups",
        "uname",
        "uptime",
        "nproc",
        "free",
        "true",
        "false",
        "test",
        "[",
        "[[",
        "seq",
        "sleep",
        "ps",
        "pgrep",
        "locale",
        "tty",
        "getconf",
        "lscpu",
        "lsblk",
        "arch",
        "expr",
        "bc",
        "dc",
        "factor",
        "numfmt",
        "join",
        "look",
        "tsort",
        "iconv",
        "envsubst",
        "tput",
        "clear",
        "stty",
        ":",
        "unset",
        "shopt",
        "cd",
        "pushd",
        "popd",
        "dirs",
        "chdir",
        "read",
        "mapfile",
        "readarray",
        "let",
        "return",
        "exit",
        "break",
        "continue",
        "shift",
        "getopts",
        "hash",
        "ulimit",
        "umask",
        "wait",
        "jobs",
        "fg",
        "bg",
        "disown",
        "times",
        "caller",
        "help",
        "logname",
        "users",
        "who",
        "w",
        "last",
        "lsof",
        "netstat",
        "ss",
        "ip",
        "ifconfig",
        "pytest",
        "py.test",
        "mypy",
        "ruff",
        "black",
        "isort",
        "flake8",
        "pylint",
        "pyright",
        "pyflakes",
        "pycodestyle",
        "pydocstyle",
        "bandit",
        "eslint",
        "prettier",
        "tsc",
        "gofmt",
        "rustfmt",
        "clang-format",
        "shellcheck",
        "shfmt",
        "yamllint",
        "hadolint",
        "cloc",
        "tokei",
        "ctags",
        "coverage",
        "sort",
        "tee",
        "touch",
        "mkdir",
        "cp",
        "ln",
        "install",
        "gzip",
        "gunzip",
        "bzip2",
        "bunzip2",
        "xz",
        "unxz",
        "zstd",
        "unzstd",
        "zcat",
        "bzcat",
        "xzcat",
        "zip",
        "split",
        "csplit",
        "dos2unix",
        "unix2dos",
        "gcc",
        "cc",
        "g++",
        "c++",
        "clang",
        "clang++",
        "javac",
        "rustc",
        "ld",
        "as",
        "nm",
        "objdump",
        "readelf",
        "ldd",
        "sha1",
        "md5",
        "tput",
        "hostnamectl",
        "lsattr",
        "getfacl",
        "mktemp",
        "yes",
        "watch",
        "time",
        "command",
        "builtin",
        "nohup",
        "nice",
        "timeout",
        "stdbuf",
        "env",
        "exec",
        "ionice",
        "setsid",
        "unbuffer",
        "taskset",
        "chrt",
        "coproc",
        "caffeinate",
        "xvfb-run",
        "catchsegv",
        "xargs",
        "eval",
        "trap",
        "parallel",
        "flock",
        "script",
        "sg",
        "busybox",
        "proxychains",
        "proxychains4",
        "torsocks",
        "fakeroot",
    ]
)
NETWORK = frozenset(
    [
        "curl",
        "wget",
        "nc",
        "ncat",
        "netcat",
        "socat",
        "ssh",
        "scp",
        "sftp",
        "rsync",
        "telnet",
        "ftp",
        "tftp",
        "http",
        "https",
        "xh",
        "aria2c",
        "fetch",
        "lynx",
        "links",
        "w3m",
        "dig",
        "nslookup",
        "host",
        "ping",
        "ping6",
        "traceroute",
        "mail",
        "mailx",
        "sendmail",
        "mutt",
        "smbclient",
        "openssl",
        "nmap",
        "ncftp",
        "lftp",
        "gh",
        "glab",
    ]
)
RAW_NET = frozenset({"nc", "ncat", "netcat", "socat", "telnet", "ssh", "scp", "sftp", "ftp", "tftp", "nmap"})
DECODERS = frozenset(
    {
        "base64",
        "base32",
        "xxd",
        "openssl",
        "gunzip",
        "zcat",
        "bzcat",
        "xzcat",
        "rev",
        "tr",
        "uudecode",
        "gpg",
        "unxz",
        "bunzip2",
        "zstdcat",
    }
)
PRIVILEGE = frozenset({"sudo", "doas", "su", "pkexec", "runuser", "chroot", "sudoedit", "machinectl"})
POWER = frozenset({"shutdown", "reboot", "poweroff", "halt", "init", "telinit"})
DISK_DESTROY = frozenset(
    {
        "mkfs",
        "mke2fs",
        "mkswap",
        "mkdosfs",
        "mkntfs",
        "wipefs",
        "fdisk",
        "sfdisk",
        "cfdisk",
        "parted",
        "gdisk",
        "sgdisk",
        "blkdiscard",
        "mdadm",
        "cryptsetup",
        "pvcreate",
        "vgremove",
        "lvremove",
        "zpool",
        "format",
    }
)
SYSTEM_ADMIN = frozenset(
    {
        "mount",
        "umount",
        "iptables",
        "ip6tables",
        "nft",
        "ufw",
        "firewall-cmd",
        "useradd",
        "userdel",
        "usermod",
        "passwd",
        "chpasswd",
        "groupadd",
        "groupdel",
        "visudo",
        "modprobe",
        "insmod",
        "rmmod",
        "sysctl",
        "launchctl",
        "service",
        "swapoff",
        "swapon",
        "setenforce",
        "chattr",
        "setfacl",
        "chown",
        "chgrp",
        "update-alternatives",
        "dscl",
        "csrutil",
        "nvram",
        "hostname",
    }
)
PACKAGE_MANAGERS = frozenset(
    {
        "pip",
        "pip3",
        "uv",
        "poetry",
        "pipenv",
        "pdm",
        "hatch",
        "rye",
        "conda",
        "mamba",
        "micromamba",
        "pixi",
        "npm",
        "yarn",
        "pnpm",
        "bun",
        "gem",
        "bundle",
        "cargo",
        "go",
        "apt",
        "apt-get",
        "aptitude",
        "dpkg",
        "dnf",
        "yum",
        "zypper",
        "pacman",
        "apk",
        "brew",
        "port",
        "snap",
        "flatpak",
        "nix",
        "nix-env",
        "choco",
        "winget",
        "composer",
        "mvn",
        "gradle",
        "dotnet",
        "deno",
        "rustup",
        "pipx",
        "npx",
        "uvx",
        "cpan",
        "cpanm",
        "luarocks",
        "opam",
        "stack",
        "cabal",
        "mix",
        "rebar3",
        "pub",
        "dart",
        "flutter",
        "swift",
        "sbt",
        "lein",
        "conan",
        "vcpkg",
    }
)
PM_READ_SUBCOMMANDS = frozenset(
    {
        "list",
        "ls",
        "show",
        "search",
        "freeze",
        "info",
        "view",
        "outdated",
        "why",
        "check",
        "config",
        "help",
        "version",
        "--version",
        "-v",
        "-V",
        "--help",
        "-h",
        "env",
        "doctor",
        "audit",
        "licenses",
        "tree",
        "query",
        "policy",
        "madison",
        "fmt",
        "vet",
        "metadata",
        "pkgid",
        "verify-project",
        "inspect",
        "which",
    }
)
PM_INSTALL = frozenset(
    {
        "install",
        "i",
        "add",
        "ci",
        "update",
        "upgrade",
        "sync",
        "get",
        "require",
        "remove",
        "uninstall",
        "rm",
        "un",
        "purge",
        "lock",
        "download",
        "fetch",
        "dist-upgrade",
        "full-upgrade",
        "autoremove",
        "reinstall",
        "-S",
        "-Syu",
        "-R",
        "-Rns",
        "-U",
    }
)
BUILD_TOOLS = frozenset(
    {
        "make",
        "gmake",
        "cmake",
        "ninja",
        "meson",
        "bazel",
        "bazelisk",
        "buck",
        "ant",
        "just",
        "task",
        "invoke",
        "nox",
        "tox",
        "pre-commit",
        "scons",
        "rake",
        "xcodebuild",
        "jest",
        "vitest",
        "mocha",
        "karma",
        "playwright",
        "cypress",
        "phpunit",
        "rspec",
        "ctest",
        "java",
        "kotlin",
        "scala",
        "groovy",
        "dotnet",
        "docker",
        "podman",
        "docker-compose",
        "kubectl",
        "helm",
        "terraform",
        "ansible",
        "ansible-playbook",
        "vagrant",
        "code",
        "vim",
        "nvim",
        "vi",
        "nano",
        "emacs",
        "open",
        "xdg-open",
        "tmux",
        "screen",
        "alias",
        "source",
        ".",
        "history",
        "fc",
        "complete",
        "compgen",
        "bind",
        "enable",
        "kill",
        "pkill",
        "killall",
        "systemctl",
        "journalctl",
        "crontab",
        "at",
        "batch",
        "git-lfs",
        "patch",
        "tar",
        "unzip",
        "7z",
        "7za",
        "cpio",
        "ar",
        "rpm",
        "sed",
        "awk",
        "gawk",
        "mawk",
        "nawk",
        "rm",
        "rmdir",
        "unlink",
        "shred",
        "mv",
        "dd",
        "truncate",
        "chmod",
        "fallocate",
        "git",
    }
)

# Shell text that is destructive wherever it appears: used on interpreter code and, as a last
# resort, on command lines the parser could not read (an ERROR node must not hide "rm -rf /").
DESTRUCTIVE_TEXT = re.compile(
    r"\brm\s+(-[a-zA-Z-]*\s+)*-[a-zA-Z]*[rRf][a-zA-Z]*\s+(-\S+\s+)*['\"]?(/|~|\$HOME|\.|\*)/?\*?['\"]?(?=[\s;)'\"|&]|$)|"
    r"/dev/tcp/|/dev/udp/|\bmkfs\b|\bdd\s+[^|;]*of=/dev/|:\(\)\s*\{|\bnc\s+-[a-z]*e|"
    r"(curl|wget)[^|]*\|\s*(sudo\s+)?(ba|z|da)?sh\b|\bchmod\s+(-R\s+)?[0-7]*777\s+/"
)

# Interpreter code that reaches the OS, the network or dynamic evaluation: one-liners showing
# these are treated as deliberate (CRITICAL), the rest of inline code as HIGH.
_CODE_CRITICAL = [
    (
        re.compile(
            r"\bos\s*\.\s*(system|popen|exec\w*|spawn\w*|fork\w*|kill\w*|setuid|remove|unlink|rmdir|"
            r"removedirs|chmod|chown)\b"
        ),
        "calls the operating system (os.*)",
    ),
    (re.compile(r"\bsubprocess\b|\bcommands\s*\.\s*getoutput"), "starts processes (subprocess)"),
    (
        re.compile(
            r"(?i:\b(socket|pty|ctypes|telnetlib|paramiko|asyncssh)\b)|IO::Socket|TCPSocket|UDPSocket|"
            r"\bfsockopen\b|\bnet\s*\.\s*(connect|createConnection|Socket)|require\s*\(\s*['\"]"
            r"(net|dgram|tls)['\"]|\bfork\b"
        ),
        "opens raw network sockets",
    ),
    (
        re.compile(
            r"\bshutil\s*\.\s*(rmtree|move|chown)|FileUtils\s*\.\s*rm|\brmtree\b|\brmSync\b|"
            r"\bfs\s*\.\s*(rm|rmdir|unlink)\w*|File\s*\.\s*delete|\bunlink\s*\("
        ),
        "deletes files",
    ),
    (
        re.compile(
            r"\bchild_process\b|\bexecSync\b|\bspawnSync\b|\bexecFile\w*|\bprocess\s*\.\s*binding|"
            r"\bIO\s*\.\s*popen|\bOpen3\b|\bKernel\s*\.\s*(system|exec|spawn)|%x[\(\{\[]|\bqx\s*[\(\{\[/]|"
            r"\b(shell_exec|passthru|proc_open|popen|pcntl_exec)\s*\("
        ),
        "starts processes",
    ),
    (
        re.compile(r"(^|[^\w.])(system|exec|spawn|fork)\s*\(|(^|[;{\s])(system|exec)\s+['\"]"),
        "starts processes",
    ),
    (
        re.compile(
            r"__import__|\b(eval|exec|compile)\s*\(|\bFunction\s*\(|\bimportlib\b|\bgetattr\s*\(\s*"
            r"__builtins__|\b__builtins__\b|\bmarshal\b|\bpickle\s*\.\s*loads"
        ),
        "evaluates dynamic code",
    ),
    (
        re.compile(
            r"b64decode|base64|\bdecode\s*\(\s*['\"](hex|rot13|base64)|codecs\s*\.\s*decode|"
            r"fromCharCode|\\x[0-9a-fA-F]{2}.*\\x[0-9a-fA-F]{2}|\bchr\s*\(\s*\d+\s*\)\s*\+"
        ),
        "decodes an obfuscated payload",
    ),
    (DESTRUCTIVE_TEXT, "contains destructive shell commands"),
    (re.compile(r"\brm\s+-[a-zA-Z]*[rRf]"), "deletes files with rm"),
    (
        re.compile(
            r"\.ssh/|id_rsa|id_ed25519|\.aws/credentials|/etc/shadow|\bos\s*\.\s*environ\b.*(urlopen|"
            r"requests|http)|process\s*\.\s*env\b.*(fetch|http|request)"
        ),
        "touches credentials",
    ),
]

_EXEC_OPTIONS: dict[str, tuple[str, ...]] = {
    "sort": ("--compress-program",),
    "rg": ("--pre",),
    "split": ("--filter",),
    "install": ("--strip-program",),
    "man": ("-P", "--pager", "-H", "--html"),
    "tar": (
        "--to-command",
        "--checkpoint-action",
        "--use-compress-program",
        "-I",
        "--rsh-command",
        "--info-script",
        "--new-volume-script",
        "-F",
    ),
    "zip": ("-TT", "--unzip-command"),
    "rsync": ("--rsync-path",),
    "ssh": ("-o",),
    "scp": ("-o", "-S"),
    "git": ("-c", "--config-env", "--upload-pack", "--receive-pack", "-u"),
    "less": ("--lesskey-src",),
}

_DANGEROUS_ENV_RE = re.compile(
    r"^(PATH|LD_\w+|DYLD_\w+|BASH_ENV|ENV|PROMPT_COMMAND|PS4|SHELLOPTS|BASHOPTS|IFS|HOME|CDPATH|"
    r"GIT_(?!AUTHOR_|COMMITTER_|TERMINAL_PROMPT|TRACE|CURL_VERBOSE|PAGER_IN_USE)\w+|PAGER|MANPAGER|EDITOR|"
    r"VISUAL|NODE_OPTIONS|PERL5OPT|PERL5LIB|PERLLIB|RUBYOPT|RUBYLIB|PYTHONHOME|PYTHONSTARTUP|PYTHONINSPECT|"
    r"BROWSER|SSH_ASKPASS|SUDO_ASKPASS|GIT_SSH_COMMAND|LESSOPEN|LESSCLOSE|TMPDIR|XDG_CONFIG_HOME|"
    r"ZDOTDIR|BASH_FUNC_\w+%*|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|DOCKER_HOST)$"
)

CONTENT_READERS = frozenset(
    [
        "cat",
        "tac",
        "head",
        "tail",
        "less",
        "more",
        "most",
        "bat",
        "batcat",
        "grep",
        "egrep",
        "fgrep",
        "rg",
        "ag",
        "ack",
        "wc",
        "od",
        "xxd",
        "hexdump",
        "strings",
        "base64",
        "base32",
        "md5sum",
        "sha1sum",
        "sha256sum",
        "sha512sum",
        "shasum",
        "cut",
        "sort",
        "uniq",
        "diff",
        "cmp",
        "comm",
        "nl",
        "fold",
        "paste",
        "jq",
        "yq",
        "iconv",
        "awk",
        "gawk",
        "sed",
        "perl",
        "python",
        "python3",
        "openssl",
        "gpg",
        "scp",
        "rsync",
        "curl",
        "nc",
        "ncat",
        "socat",
        "zip",
        "tar",
        "7z",
        "cp",
        "mail",
    ]
)
NON_PATH_ARGS = frozenset(
    {
        "echo",
        "printf",
        "test",
        "[",
        "[[",
        "true",
        "false",
        ":",
        "expr",
        "seq",
        "date",
        "sleep",
        "export",
        "declare",
        "typeset",
        "local",
        "readonly",
        "unset",
        "alias",
    }
)


_BACKTICKS = re.compile(r"`[^`]+`")


def code_risk(code: str, lang: str = "") -> tuple[Risk, str]:
    """Inline interpreter code: CRITICAL when it visibly reaches the OS/network, else HIGH."""
    if lang in ("perl", "ruby", "php") and _BACKTICKS.search(code):
        return C, "runs shell commands in backticks"
    for rx, why in _CODE_CRITICAL:
        if rx.search(code):
            return C, why
    return H, "runs inline interpreter code"


def _looks_like_path(text: str) -> bool:
    return text.startswith((".", "/", "~")) or "/" in text


def _short_flags(args: list[Word]) -> set[str]:
    """Single-letter flags present (``-rf`` -> {r, f}); stops at ``--``."""
    out: set[str] = set()
    for w in args:
        t = w.text
        if t == "--":
            break
        if t.startswith("-") and not t.startswith("--") and len(t) > 1:
            out.update(t[1:])
    return out


def _long_flags(args: list[Word]) -> set[str]:
    out: set[str] = set()
    for w in args:
        if w.text == "--":
            break
        if w.text.startswith("--"):
            out.add(w.text.split("=", 1)[0])
    return out


def _positionals(args: list[Word], value_opts: frozenset[str] = frozenset()) -> list[Word]:
    out: list[Word] = []
    i = 0
    opts_done = False
    while i < len(args):
        w = args[i]
        t = w.text
        if not opts_done and t == "--":
            opts_done = True
        elif not opts_done and t.startswith("-") and len(t) > 1 and not w.dynamic:
            if t in value_opts:
                i += 1
        else:
            out.append(w)
        i += 1
    return out


def _opt_values(args: list[Word], names: tuple[str, ...]) -> list[Word]:
    """Values of options like ``-o FILE``, ``-oFILE``, ``--output=FILE``, ``--output FILE``."""
    out: list[Word] = []
    for i, w in enumerate(args):
        t = w.text
        for n in names:
            if t == n and i + 1 < len(args):
                out.append(args[i + 1])
            elif n.startswith("--") and t.startswith(n + "="):
                out.append(Word(t[len(n) + 1 :], w.raw, w.dynamic, w.glob))
            elif (
                not n.startswith("--")
                and len(n) == 2
                and t.startswith(n)
                and len(t) > 2
                and not t.startswith("--")
            ):
                out.append(Word(t[2:], w.raw, w.dynamic, w.glob))
    return out


class RiskAssessor:
    """Assesses an :class:`Analysis` against the path rules of a policy."""

    def __init__(self, rules: PathRuleSet, workspace: Path) -> None:
        self.rules = rules
        self.workspace = workspace
        self.home = home_dir()

    # -- entry point ------------------------------------------------------------------------------
    def assess(self, a: Analysis) -> list[Finding]:
        self.findings: list[Finding] = []
        self.sensitive: list[str] = []
        self.network: list[int] = []
        self.dynamic_code: list[int] = []
        self.analysis = a
        for u in a.unknowns:
            self._add(H, u.reason, "unknown:parse", u.subject, unknown=True)
        if a.unknowns and DESTRUCTIVE_TEXT.search(a.command):
            # The parser could not read everything: a destructive fragment in the raw text decides.
            self._add(
                C,
                "a part the parser could not read contains destructive shell text",
                "risk:unparsed-destructive",
                a.command[:200],
            )
        for idx, part in enumerate(a.parts):
            self._part(idx, part)
        for owner, red, cwd in a.redirects:
            self._redirect(owner, red, cwd)
        for name, value, via in a.assignments:
            self._assignment(None, name, value, via or "assignment")
        for name, body, bomb in a.functions:
            if bomb:
                self._add(
                    C,
                    f"fork bomb: function {name!r} starts copies of itself in the background",
                    "risk:fork-bomb",
                    f"{name}(){body}",
                )
        if a.secret_vars:
            names = ", ".join(sorted(set(a.secret_vars))[:3])
            if self.network:
                self._add(
                    H,
                    f"sends secret variables ({names}) over the network",
                    "risk:secret-var-network",
                    a.command[:200],
                )
            else:
                self._add(M, f"expands secret variables ({names})", "risk:secret-var", a.command[:200])
        self._combinations()
        return self.findings

    def _add(
        self,
        risk: Risk,
        reason: str,
        rule: str,
        subject: str,
        part: int | None = None,
        verdict: Verdict | None = None,
        unknown: bool = False,
        unknown_program: bool = False,
    ) -> None:
        self.findings.append(Finding(risk, reason, rule, subject, part, verdict, unknown, unknown_program))

    # -- combinations ------------------------------------------------------------------------------
    def _combinations(self) -> None:
        a = self.analysis
        if self.sensitive and self.network:
            net = a.parts[self.network[0]]
            self._add(
                C,
                f"reads secrets ({self.sensitive[0]}) and talks to the network ({net.name}): "
                "possible exfiltration",
                "risk:exfiltration",
                a.command[:200],
            )
        net_names = {a.parts[i].name for i in self.network}
        for idx in self.dynamic_code:
            p = a.parts[idx]
            srcs = [a.parts[i] for i in p.pipe_sources]
            if any(s.name in NETWORK or s.name in ("git",) for s in srcs) or (not srcs and self.network):
                self._add(
                    C,
                    f"runs code fetched from the network ({', '.join(sorted(net_names)) or 'network'})"
                    f" with {p.name}",
                    "risk:remote-code",
                    p.display,
                    idx,
                )
            elif any(s.name in DECODERS for s in srcs):
                self._add(
                    C,
                    f"runs a decoded (obfuscated) payload with {p.name}",
                    "risk:obfuscated-code",
                    p.display,
                    idx,
                )

    # -- per part ----------------------------------------------------------------------------------
    def _part(self, idx: int, p: Part) -> None:
        subj = p.display
        if not p.name:
            self._add(
                H,
                "the program name is only known at run time",
                "unknown:dynamic-program",
                subj,
                idx,
                unknown=True,
            )
            self.dynamic_code.append(idx)
            self._hypotheses(idx, p)
            return
        if p.odd_name:
            self._add(H, p.odd_name, "unknown:odd-name", subj, idx, unknown=True)
        if any(c.isspace() for c in p.name) or p.name in ("{", "}"):
            self._add(
                H, f"{p.name!r} is not a plain program name", "unknown:odd-name", subj, idx, unknown=True
            )
        if p.program_path and not program_dir_is_standard(p.program_path):
            where = ""
            res = resolve_user_path(p.program_path, p.cwd or self.workspace)
            if res.path is not None and res.path.is_relative_to(self.workspace):
                where = " from the workspace"
            self._add(M, f"runs the program {p.program_path}{where}", "risk:run-path", subj, idx)
        for name, value in p.assignments:
            self._assignment(idx, name, value, "prefix")
        handler = getattr(self, "_h_" + p.name.replace("-", "_").replace(".", "_"), None)
        if p.code_dynamic:
            self.dynamic_code.append(idx)
        if any(r.op in ("<", "<>") and r.target.dynamic for r in p.redirects) and (
            p.name in SHELLS or is_interpreter(p.name)
        ):
            self._add(
                H, f"{p.name} runs code read from a run-time source", "risk:dynamic-code", p.display, idx
            )
            self.dynamic_code.append(idx)
        self._exec_options(idx, p)
        if p.name in SHELLS:
            self._shell(idx, p)
        elif p.name in ("source", "."):
            self._source(idx, p)
        elif is_python(p.name):
            self._python(idx, p)
        elif is_interpreter(p.name):
            self._interp(idx, p)
        elif handler is not None and re.fullmatch(r"[a-z0-9_\-.]+", p.name):
            handler(idx, p)
        elif p.name.startswith("mkfs") or p.name in DISK_DESTROY:
            self._add(C, f"{p.name} formats or repartitions disks", "risk:disk", subj, idx)
        elif p.name in PRIVILEGE:
            self._add(H, f"{p.name} runs a command with elevated privileges", "risk:privilege", subj, idx)
        elif p.name in POWER:
            self._add(H, f"{p.name} stops or restarts the machine", "risk:power", subj, idx)
        elif p.name in SYSTEM_ADMIN:
            self._add(H, f"{p.name} changes system configuration", "risk:system", subj, idx)
            if p.name in ("chown", "chgrp", "chattr", "setfacl"):
                self._chmod_like(idx, p, first_is_mode=p.name != "setfacl")
        elif p.name in RAW_NET:
            self._raw_net(idx, p)
        elif p.name in NETWORK:
            self._fetch(idx, p)
        elif p.name in PACKAGE_MANAGERS:
            self._package(idx, p)
        elif p.name in BUILD_TOOLS:
            self._add(M, f"{p.name} runs code or changes files", "risk:build", subj, idx)
        elif p.name in READ_ONLY:
            self._readonly(idx, p)
        elif p.name in p.function_names:
            pass  # a call to a function defined in the same line: its body was judged
        else:
            self._add(
                M,
                f"{p.name} is not a program this policy knows",
                "risk:unknown-program",
                subj,
                idx,
                unknown_program=True,
            )
        if p.name not in NON_PATH_ARGS:
            self._sensitive_args(idx, p)
        if p.name in NETWORK or p.name in RAW_NET:
            self.network.append(idx)

    def _exec_options(self, idx: int, p: Part) -> None:
        """Options that make an otherwise harmless program run another program."""
        opts = _EXEC_OPTIONS.get(p.name)
        if not opts:
            return
        for w in p.args:
            t = w.text
            if any(
                t == o
                or t.startswith(o + "=")
                or (len(o) == 2 and t.startswith(o) and len(t) > 2 and not t.startswith("--"))
                for o in opts
            ):
                k = p.args.index(w)
                value = (
                    t.split("=", 1)[1] if "=" in t else (p.args[k + 1].text if k + 1 < len(p.args) else "")
                )
                if p.name == "ssh" and not re.search(
                    r"(?i)proxycommand|localcommand|permitlocalcommand", t + value
                ):
                    continue
                joined = " ".join(a.text for a in p.args)
                if DESTRUCTIVE_TEXT.search(joined):
                    self._add(
                        C,
                        f"{p.name} {t.split('=')[0]} runs destructive shell text",
                        "risk:exec-option",
                        p.display,
                        idx,
                    )
                else:
                    self._add(
                        H,
                        f"{p.name} {t.split('=')[0]} makes it run another program",
                        "risk:exec-option",
                        p.display,
                        idx,
                    )
                return

    def _hypotheses(self, idx: int, p: Part) -> None:
        """A run-time program name that would be catastrophic if it were rm/chmod/dd/... is denied."""
        for guess in ("rm", "chmod", "chown", "dd", "shred"):
            probe = Part(argv=[Word(guess, guess), *p.args], name=guess, display=p.display, cwd=p.cwd)
            saved = self.findings
            self.findings = []
            getattr(self, "_h_" + guess, self._chmod_like_h)(idx, probe)
            crit = [f for f in self.findings if f.risk is C]
            self.findings = saved
            if crit:
                self._add(
                    C,
                    f"a run-time program name with arguments that would be destructive for "
                    f"{guess}: {crit[0].reason}",
                    "risk:dynamic-destructive",
                    p.display,
                    idx,
                )
                return

    def _chmod_like_h(self, idx: int, p: Part) -> None:
        self._chmod_like(idx, p, first_is_mode=True)

    # -- environment ------------------------------------------------------------------------------
    def _assignment(self, idx: int | None, name: str, value: Word, via: str) -> None:
        base = name.split("[", 1)[0]
        if _DANGEROUS_ENV_RE.match(base):
            self._add(
                H,
                f"setting {base} changes which programs run or how",
                "risk:env-var",
                f"{base}={value.raw}"[:200],
                idx,
            )

    # -- paths --------------------------------------------------------------------------------------
    def _resolve(self, w: Word, cwd: Path | None) -> tuple[Path | None, str, bool]:
        """(resolved path, problem, everything-glob) for a path argument."""
        text = w.text
        if w.dynamic:
            return None, "its location is only known at run time", False
        if cwd is None and not text.startswith("/"):
            return None, "the working directory is only known at run time", False
        everything = False
        if w.glob:
            comps = text.split("/")
            first_glob = next(i for i, c in enumerate(comps) if any(ch in c for ch in "*?["))
            last = comps[-1] if comps[-1] else (comps[-2] if len(comps) > 1 else "")
            everything = first_glob >= len(comps) - 2 and bool(
                re.fullmatch(r"[*?.]+|\.\[!.\]\*|\.\?\*", last)
            )
            if first_glob < len(comps) - 1 and not (first_glob == len(comps) - 2 and comps[-1] == ""):
                everything = True  # a glob in a directory part can match anything below
            prefix = "/".join(comps[:first_glob]) or ("/" if text.startswith("/") else ".")
            text = prefix if everything else "/".join([*comps[:first_glob], "\u2217glob"])
        base = cwd or Path("/")
        res = resolve_user_path(text, base)
        if res.path is None:
            return None, res.error, everything
        return res.path, "", everything

    def _target(
        self,
        idx: int | None,
        p_display: str,
        w: Word,
        cwd: Path | None,
        op: FileOp,
        recursive: bool = False,
        verb: str = "",
    ) -> None:
        verb = verb or op.value
        text = w.text
        if op is FileOp.WRITE and not w.dynamic:
            lexical = text if text.startswith("/") else None
            if lexical and lexical.rstrip("/") in SAFE_DEVICE_WRITES:
                return
        if not w.dynamic and is_net_device(text):
            self._add(
                C,
                f"{verb} to {text}: a raw network connection (reverse shell / exfiltration)",
                "risk:dev-tcp",
                p_display,
                idx,
            )
            return
        path, problem, everything = self._resolve(w, cwd)
        if path is None:
            if op is FileOp.READ:
                return
            self._add(
                H, f"cannot tell what '{w.raw}' will {verb}: {problem}", "risk:unknown-target", p_display, idx
            )
            return
        s = path.as_posix()
        if op is not FileOp.READ and is_block_device(s):
            self._add(C, f"{verb} of the raw device {s} destroys data", "risk:block-device", p_display, idx)
            return
        if op is FileOp.READ:
            self._read(idx, p_display, path)
            return
        protected = is_protected_dir(path, self.workspace)
        if protected and (recursive or everything):
            what = f"everything in {protected}" if everything else protected
            self._add(C, f"{verb} {what} ({s})", "risk:destroy", p_display, idx)
            return
        if everything and op is FileOp.DELETE:
            self._add(H, f"{verb} every file matching {w.raw}", "risk:glob-delete", p_display, idx)
        d = check_path(op, s, self.workspace, self.rules)
        if d.verdict is not Verdict.ALLOW:
            self._add(d.risk, d.reason, d.rule, p_display, idx, verdict=d.verdict)

    def _read(self, idx: int | None, subject: str, path: Path) -> None:
        hit = match_path_patterns(self.rules.read_deny, path, self.workspace)
        if hit:
            self._add(
                H,
                f"reading {path} is denied by path rule '{hit}'",
                f"path:read_deny:{hit}",
                subject,
                idx,
                verdict=Verdict.DENY,
            )
            self.sensitive.append(path.as_posix())
            return
        hit = match_path_patterns(self.rules.read_ask + self.rules.sensitive_outside, path, self.workspace)
        if hit:
            self._add(
                M,
                f"{path} may hold secrets (path rule '{hit}')",
                f"path:read_ask:{hit}",
                subject,
                idx,
                verdict=Verdict.REQUIRE_APPROVAL,
            )
            self.sensitive.append(path.as_posix())
            return
        if not path.is_relative_to(self.workspace) and path.is_relative_to(self.home) and idx is not None:
            p = self.analysis.parts[idx]
            if p.name in CONTENT_READERS:
                self._add(
                    M,
                    f"reads {path}, a personal file outside the workspace",
                    "path:outside-read",
                    subject,
                    idx,
                    verdict=Verdict.REQUIRE_APPROVAL,
                )

    def _sensitive_args(self, idx: int, p: Part) -> None:
        """Any argument naming a secret-looking file marks the command as reading secrets."""
        for w in p.args:
            cands = [w.text]
            if "=" in w.text:
                cands.append(w.text.split("=", 1)[1])
            if w.text.startswith("@"):
                cands.append(w.text[1:])
            if w.text.startswith("file://"):
                cands.append(w.text[7:])
            for t in cands:
                if not t or DYN in t or t.startswith("-"):
                    continue
                if w.glob:
                    self._glob_sensitive(idx, p, t)
                    continue
                if not (
                    _looks_like_path(t)
                    or match_path_patterns(self.rules.read_ask, Path("/x") / t, self.workspace)
                ):
                    continue
                path, _, _ = self._resolve(Word(t, w.raw), p.cwd)
                if path is not None:
                    self._read(idx, p.display, path)
        for r in p.redirects:
            if r.op in ("<", "<>") and not r.target.dynamic:
                path, _, _ = self._resolve(r.target, p.cwd)
                if path is not None:
                    self._read(idx, p.display, path)

    def _glob_sensitive(self, idx: int, p: Part, text: str) -> None:
        base = text.rstrip("/").rsplit("/", 1)[-1]
        for sample in (".env", "id_rsa", "x.pem", "x.key", ".netrc", "credentials", "id_ed25519"):
            if glob_match(base, sample) and match_path_patterns(
                self.rules.read_ask, Path("/x") / sample, self.workspace
            ):
                if p.name in CONTENT_READERS:
                    self._add(
                        M,
                        f"{text} may match secret files like {sample}",
                        "path:read_ask:glob",
                        p.display,
                        idx,
                        verdict=Verdict.REQUIRE_APPROVAL,
                    )
                    self.sensitive.append(text)
                return

    def _redirect(self, owner: int | None, red: object, cwd: Path | None) -> None:
        from openagent_lsp.policy.shell import Redirect

        assert isinstance(red, Redirect)
        subject = (
            self.analysis.parts[owner].display if owner is not None else ""
        ) + f" {red.op} {red.target.raw}"
        if red.op in ("<", "<&"):
            if not red.target.dynamic and is_net_device(red.target.text):
                self._add(
                    C,
                    f"reads from {red.target.text}: a raw network connection",
                    "risk:dev-tcp",
                    subject.strip(),
                    owner,
                )
            return  # reads through "<" are checked with the owning part
        self._target(owner, subject.strip(), red.target, cwd, FileOp.WRITE, verb="redirect output")

    # -- handlers (names are "_h_" + program) ------------------------------------------------------
    def _readonly(self, idx: int, p: Part) -> None:
        # Read-only programs can still write through options.
        outs: list[Word] = []
        if p.name == "sort":
            outs = _opt_values(p.args, ("-o", "--output"))
        elif p.name in ("gcc", "cc", "g++", "c++", "clang", "clang++", "rustc", "ld", "as"):
            outs = _opt_values(p.args, ("-o",))
        elif p.name == "javac":
            outs = _opt_values(p.args, ("-d",))
        elif p.name in ("time", "strace", "ltrace"):
            outs = _opt_values(p.args, ("-o", "--output"))
        elif p.name in ("tee", "touch", "mkdir", "dos2unix", "unix2dos"):
            outs = _positionals(p.args)
        elif p.name in ("cp", "install"):
            pos = _positionals(
                p.args, frozenset({"-t", "--target-directory", "-S", "--suffix", "-m", "-o", "-g"})
            )
            outs = _opt_values(p.args, ("-t", "--target-directory")) or pos[-1:]
            if len(pos) < 2 and not _opt_values(p.args, ("-t", "--target-directory")):
                outs = []
        elif p.name == "ln":
            pos = _positionals(p.args, frozenset({"-t", "--target-directory", "-S", "--suffix"}))
            if "s" in _short_flags(p.args) or "--symbolic" in _long_flags(p.args):
                for tgt in pos[:-1] if len(pos) >= 2 else pos:
                    tp, _, _ = self._resolve(tgt, p.cwd)
                    if tp is None or not tp.is_relative_to(self.workspace):
                        self._add(
                            H,
                            f"creates a link to {tgt.text}, outside the workspace (later writes through"
                            " it would land there)",
                            "risk:link-outside",
                            p.display,
                            idx,
                        )
            if len(pos) >= 2:
                outs = pos[-1:]
            elif pos and not pos[0].dynamic:
                outs = [Word(pos[0].text.rstrip("/").rsplit("/", 1)[-1] or ".", pos[0].raw)]
            else:
                outs = pos
        elif p.name in ("split", "csplit"):
            pos = _positionals(p.args, frozenset({"-l", "-b", "-n", "-a", "-C", "-d", "-f", "--prefix"}))
            outs = pos[1:2] + _opt_values(p.args, ("-f", "--prefix"))
        elif p.name == "uniq":
            outs = _positionals(p.args, frozenset({"-f", "-s", "-w"}))[1:2]
        elif p.name in ("gzip", "gunzip", "bzip2", "bunzip2", "xz", "unxz", "zstd", "unzstd", "zip"):
            outs = [w for w in _positionals(p.args) if w.text != "-"]
        elif p.name == "hostnamectl" and p.args and p.args[0].text.startswith("set"):
            self._add(H, "changes the host name", "risk:system", p.display, idx)
        elif p.name == "watch":
            pass
        for w in outs:
            if w.text in ("-", "/dev/stdout"):
                continue
            self._target(idx, p.display, w, p.cwd, FileOp.WRITE)

    def _h_rm(self, idx: int, p: Part) -> None:
        flags = _short_flags(p.args)
        longs = _long_flags(p.args)
        recursive = bool({"r", "R"} & flags) or "--recursive" in longs
        if "--no-preserve-root" in longs:
            self._add(C, "rm --no-preserve-root", "risk:destroy", p.display, idx)
        targets = _positionals(p.args)
        self._add(
            M,
            f"deletes {'recursively ' if recursive else ''}{len(targets)} path(s)",
            "risk:delete",
            p.display,
            idx,
        )
        for w in targets:
            self._target(idx, p.display, w, p.cwd, FileOp.DELETE, recursive=recursive, verb="delete")

    def _h_rmdir(self, idx: int, p: Part) -> None:
        self._add(M, "deletes directories", "risk:delete", p.display, idx)
        for w in _positionals(p.args):
            self._target(idx, p.display, w, p.cwd, FileOp.DELETE, verb="delete")

    _h_unlink = _h_rmdir

    def _h_shred(self, idx: int, p: Part) -> None:
        self._add(M, "overwrites and deletes files", "risk:delete", p.display, idx)
        for w in _positionals(p.args, frozenset({"-n", "-s", "--iterations", "--size"})):
            self._target(idx, p.display, w, p.cwd, FileOp.DELETE, recursive=True, verb="shred")

    def _h_mv(self, idx: int, p: Part) -> None:
        pos = _positionals(p.args, frozenset({"-t", "--target-directory", "-S", "--suffix"}))
        tdir = _opt_values(p.args, ("-t", "--target-directory"))
        sources = pos if tdir else pos[:-1]
        dests = tdir or pos[-1:]
        self._add(M, "moves files (the sources disappear)", "risk:move", p.display, idx)
        for w in sources:
            # A rename keeps the data: judged as a write of the source (protected places, outside the
            # workspace), except that moving a protected directory away counts as destroying it.
            self._target(idx, p.display, w, p.cwd, FileOp.WRITE, recursive=True, verb="move away")
        for w in dests:
            self._target(idx, p.display, w, p.cwd, FileOp.WRITE, verb="move into")

    def _h_truncate(self, idx: int, p: Part) -> None:
        self._add(M, "truncates files", "risk:write", p.display, idx)
        for w in _positionals(p.args, frozenset({"-s", "--size", "-r", "--reference"})):
            self._target(idx, p.display, w, p.cwd, FileOp.WRITE, verb="truncate")

    _h_fallocate = _h_truncate

    def _h_chmod(self, idx: int, p: Part) -> None:
        self._chmod_like(idx, p, first_is_mode=True)

    def _chmod_like(self, idx: int, p: Part, first_is_mode: bool) -> None:
        flags = _short_flags(p.args)
        recursive = "R" in flags or "--recursive" in _long_flags(p.args)
        pos = _positionals(p.args, frozenset({"--reference"}))
        mode = pos[0].text if (first_is_mode and pos) else ""
        targets = pos[1:] if first_is_mode else pos
        if p.name == "chmod":
            if re.search(r"[ugoa]*\+[rwxXt]*s|^[0-7]?[4267][0-7]{3}$", mode):
                self._add(H, f"chmod {mode} sets a setuid/setgid bit", "risk:setuid", p.display, idx)
            elif recursive and re.search(r"777|o\+w|a\+w|\+w", mode):
                self._add(M, f"chmod -R {mode} makes files writable by others", "risk:chmod", p.display, idx)
        verb = f"{p.name}{' -R' if recursive else ''}"
        for w in targets:
            self._target(idx, p.display, w, p.cwd, FileOp.WRITE, recursive=recursive, verb=verb)

    def _h_chown(self, idx: int, p: Part) -> None:
        self._add(H, "changes file ownership", "risk:system", p.display, idx)
        self._chmod_like(idx, p, first_is_mode=True)

    _h_chgrp = _h_chown

    def _h_dd(self, idx: int, p: Part) -> None:
        self._add(M, "dd copies raw data", "risk:dd", p.display, idx)
        for w in p.args:
            if w.text.startswith("of="):
                self._target(
                    idx,
                    p.display,
                    Word(w.text[3:], w.raw, w.dynamic, w.glob),
                    p.cwd,
                    FileOp.WRITE,
                    verb="dd write",
                )
            elif w.text.startswith("if="):
                src = w.text[3:]
                if is_block_device(src) or src.startswith("/dev/mem"):
                    self._add(H, f"reads the raw device {src}", "risk:raw-read", p.display, idx)
                elif not w.dynamic:
                    path, _, _ = self._resolve(Word(src, w.raw), p.cwd)
                    if path is not None:
                        self._read(idx, p.display, path)

    def _h_find(self, idx: int, p: Part) -> None:
        args = p.args
        roots: list[Word] = []
        i = 0
        while i < len(args) and not args[i].text.startswith(("-", "(", "!")):
            roots.append(args[i])
            i += 1
        roots = roots or [Word(".", ".")]
        texts = [w.text for w in args]
        filtered = any(
            t in texts
            for t in (
                "-name",
                "-iname",
                "-path",
                "-ipath",
                "-regex",
                "-iregex",
                "-newer",
                "-mtime",
                "-mmin",
                "-size",
                "-empty",
                "-user",
                "-perm",
            )
        )
        if "-delete" in texts:
            self._add(M, "find -delete removes what it finds", "risk:delete", p.display, idx)
            for r in roots:
                # With filters, find deletes matches *under* the root, not the root itself.
                target = r if not filtered else Word(r.text.rstrip("/") + "/\u2217found", r.raw, r.dynamic)
                self._target(
                    idx,
                    p.display,
                    target,
                    p.cwd,
                    FileOp.DELETE,
                    recursive=not filtered,
                    verb="find -delete in",
                )
        for w in _opt_values(args, ("-fprint", "-fprint0", "-fls")):
            self._target(idx, p.display, w, p.cwd, FileOp.WRITE)
        for k, t in enumerate(texts):
            if t == "-fprintf" and k + 1 < len(args):
                self._target(idx, p.display, args[k + 1], p.cwd, FileOp.WRITE)

    def _h_sed(self, idx: int, p: Part) -> None:
        args = p.args
        scripts = _opt_values(args, ("-e", "--expression"))
        files_from = _opt_values(args, ("-f", "--file"))
        pos = _positionals(args, frozenset({"-e", "--expression", "-f", "--file", "-l", "--line-length"}))
        if not scripts and not files_from and pos:
            scripts, pos = [pos[0]], pos[1:]
        inplace = any(
            w.text.startswith(("-i", "--in-place"))
            or (
                w.text.startswith("-")
                and not w.text.startswith("--")
                and "i" in w.text[1:]
                and "e" not in w.text[1:]
            )
            for w in args
        )
        if files_from:
            self._add(M, "sed runs a script file", "risk:script", p.display, idx)
        for s in scripts:
            if s.dynamic:
                self._add(H, "sed script only known at run time", "risk:sed-exec", p.display, idx)
                continue
            danger = sed_script_danger(s.text)
            if danger == "exec":
                self._add(H, "the sed script executes commands (e)", "risk:sed-exec", p.display, idx)
            elif danger == "write":
                self._add(M, "the sed script writes files (w)", "risk:sed-write", p.display, idx)
        if inplace:
            for w in pos:
                self._target(idx, p.display, w, p.cwd, FileOp.WRITE, verb="edit in place")

    def _h_awk(self, idx: int, p: Part) -> None:
        args = p.args
        if _opt_values(args, ("-f", "--file")):
            self._add(M, "awk runs a script file", "risk:script", p.display, idx)
            return
        pos = _positionals(args, frozenset({"-F", "-v", "--assign", "--field-separator"}))
        script = pos[0] if pos else None
        if script is None:
            return
        text = script.text
        if script.dynamic:
            self._add(H, "awk program only known at run time", "risk:awk-exec", p.display, idx)
            return
        if "/inet/" in text:
            self._add(C, "awk opens a network connection (/inet/)", "risk:reverse-shell", p.display, idx)
        elif re.search(r"\bsystem\s*\(|\|\s*\"|\"\s*\|\s*getline|\|&", text):
            if DESTRUCTIVE_TEXT.search(text):
                self._add(C, "awk runs destructive shell commands", "risk:awk-exec", p.display, idx)
            else:
                self._add(H, "awk runs shell commands", "risk:awk-exec", p.display, idx)
        elif re.search(r"(print|printf)[^;}]*>", text):
            self._add(M, "awk writes files", "risk:awk-write", p.display, idx)

    _h_gawk = _h_awk
    _h_mawk = _h_awk
    _h_nawk = _h_awk

    def _h_tar(self, idx: int, p: Part) -> None:
        texts = [w.text for w in p.args]
        first = texts[0] if texts else ""
        letters = set(first.lstrip("-")) if first and not first.startswith("--") else set()
        letters |= _short_flags(p.args)
        extract = "x" in letters or "--extract" in texts or "--get" in texts
        create = bool({"c", "r", "u"} & letters) or "--create" in texts or "--append" in texts
        if "P" in letters or "--absolute-names" in texts:
            self._add(H, "tar --absolute-names can write anywhere", "risk:tar-absolute", p.display, idx)
        if extract:
            self._add(
                M, "extracts an archive whose content is not known in advance", "risk:extract", p.display, idx
            )
            for w in _opt_values(p.args, ("-C", "--directory")):
                self._target(idx, p.display, w, p.cwd, FileOp.WRITE, verb="extract into")
        if create:
            for w in _opt_values(p.args, ("-f", "--file")):
                self._target(idx, p.display, w, p.cwd, FileOp.WRITE)

    def _h_unzip(self, idx: int, p: Part) -> None:
        self._add(
            M, "extracts an archive whose content is not known in advance", "risk:extract", p.display, idx
        )
        for w in _opt_values(p.args, ("-d",)):
            self._target(idx, p.display, w, p.cwd, FileOp.WRITE, verb="extract into")

    def _h_kill(self, idx: int, p: Part) -> None:
        args = [w.text for w in p.args]
        i = 0
        if args and args[0] in ("-s", "-n", "--signal"):
            i = 2
        elif args and args[0].startswith("-") and args[0] != "--":
            i = 1
        if i < len(args) and args[i] == "--":
            i += 1
        targets = args[i:]
        if any(t in ("-1", "1") or DYN in t for t in targets):
            self._add(H, "kills every process (or init)", "risk:kill-all", p.display, idx)
        else:
            self._add(M, "sends signals to processes", "risk:kill", p.display, idx)

    def _h_hostname(self, idx: int, p: Part) -> None:
        if _positionals(p.args):
            self._add(H, "changes the host name", "risk:system", p.display, idx)

    def _h_docker(self, idx: int, p: Part) -> None:
        joined = " ".join(w.text for w in p.args)
        if re.search(
            r"--privileged|--pid[= ]host|--net(work)?[= ]host|(-v|--volume)[= ]/[:\s]|"
            r"(-v|--volume)[= ]/var/run/docker\.sock|--cap-add",
            joined,
        ):
            self._add(
                H,
                f"{p.name} gives a container control of this machine",
                "risk:container-escape",
                p.display,
                idx,
            )
        else:
            self._add(M, f"{p.name} runs containers", "risk:build", p.display, idx)

    _h_podman = _h_docker

    def _source(self, idx: int, p: Part) -> None:
        first = p.args[0] if p.args else None
        if first is not None and not first.dynamic and re.search(r"(^|/)bin/activate(\.\w+)?$", first.text):
            path, _, _ = self._resolve(first, p.cwd)
            if path is not None and path.is_relative_to(self.workspace):
                return  # activating the workspace's own virtualenv
        if any(w.dynamic for w in p.args[:1]):
            self._add(
                H, f"{p.name} runs a script only known at run time", "risk:dynamic-code", p.display, idx
            )
            self.dynamic_code.append(idx)
        else:
            self._add(M, f"{p.name} runs a shell script in this shell", "risk:run-script", p.display, idx)

    def _h_hash(self, idx: int, p: Part) -> None:
        if any(w.text.startswith("-") and "p" in w.text for w in p.args):
            self._add(H, "hash -p maps a command name to another program", "risk:env-var", p.display, idx)

    def _h_killall5(self, idx: int, p: Part) -> None:
        self._add(H, "kills every process", "risk:kill-all", p.display, idx)

    def _h_systemctl(self, idx: int, p: Part) -> None:
        pos = _positionals(p.args)
        sub = pos[0].text if pos else ""
        if sub in ("status", "list-units", "list-unit-files", "show", "is-active", "is-enabled", "cat", ""):
            self._readonly(idx, p)
        elif sub in ("poweroff", "reboot", "halt", "kexec", "suspend", "hibernate", "rescue", "emergency"):
            self._add(H, f"systemctl {sub} stops the machine", "risk:power", p.display, idx)
        else:
            self._add(H, f"systemctl {sub} changes running services", "risk:system", p.display, idx)

    def _h_crontab(self, idx: int, p: Part) -> None:
        if [w.text for w in p.args] == ["-l"]:
            return
        self._add(H, "crontab changes scheduled jobs (persistence)", "risk:persistence", p.display, idx)

    def _h_history(self, idx: int, p: Part) -> None:
        self._add(M, "history", "risk:history", p.display, idx)

    def _h_set(self, idx: int, p: Part) -> None:
        if not p.args:
            self._env_dump(idx, p)

    def _h_printenv(self, idx: int, p: Part) -> None:
        if not _positionals(p.args):
            self._env_dump(idx, p)
        else:
            names = [w.text for w in _positionals(p.args)]
            if any(re.search(r"TOKEN|SECRET|PASS|KEY|CRED", n, re.I) for n in names):
                self.sensitive.append("secret environment variable")
                self._add(M, "prints secret environment variables", "risk:env-secret", p.display, idx)

    def _h_env(self, idx: int, p: Part) -> None:
        if p.wrapper_of is None:
            self._env_dump(idx, p)

    def _h_export(self, idx: int, p: Part) -> None:
        self._env_dump(idx, p)

    _h_declare = _h_export
    _h_typeset = _h_export

    def _env_dump(self, idx: int, p: Part) -> None:
        self.sensitive.append("environment variables")
        self._add(
            M, "prints every environment variable (tokens and keys included)", "risk:env-dump", p.display, idx
        )

    def _h_git(self, idx: int, p: Part) -> None:
        args = p.args
        i = 0
        cwd = p.cwd
        while i < len(args):
            t = args[i].text
            if t in ("-c", "--config-env") or t.startswith(("--config-env=", "--exec-path=")):
                self._add(
                    H, f"git {t} can make git run arbitrary programs", "risk:git-config", p.display, idx
                )
                i += 2 if t in ("-c", "--config-env") else 1
                continue
            if t in ("-C",):
                if i + 1 < len(args):
                    path, _, _ = self._resolve(args[i + 1], cwd)
                    if path is None or not path.is_relative_to(self.workspace):
                        self._add(
                            M, "git -C points outside the workspace", "risk:git-outside", p.display, idx
                        )
                    cwd = path
                i += 2
                continue
            if t in ("--git-dir", "--work-tree", "--namespace", "--super-prefix") or t.startswith(
                ("--git-dir=", "--work-tree=")
            ):
                self._add(
                    M, f"git {t.split('=')[0]} uses another repository", "risk:git-outside", p.display, idx
                )
                i += 1 if "=" in t else 2
                continue
            if t.startswith("-"):
                i += 1
                continue
            break
        sub = args[i].text if i < len(args) else ""
        rest = args[i + 1 :]
        texts = [w.text for w in rest]
        flags = _short_flags(rest)
        longs = _long_flags(rest)
        subj = p.display

        def add(r: Risk, why: str, rule: str) -> None:
            self._add(r, why, rule, subj, idx)

        if any(t.startswith(("--upload-pack", "--receive-pack", "--exec=")) for t in texts) or (
            sub in ("clone", "fetch", "pull", "ls-remote", "archive") and "-u" in texts
        ):
            add(H, "git --upload-pack/--receive-pack runs a program", "risk:git-exec")
        for w in _opt_values(rest, ("--output",)):
            self._target(idx, subj, w, cwd, FileOp.WRITE)
        if sub in (
            "status",
            "diff",
            "log",
            "show",
            "blame",
            "annotate",
            "ls-files",
            "ls-tree",
            "cat-file",
            "rev-parse",
            "rev-list",
            "describe",
            "shortlog",
            "grep",
            "whatchanged",
            "for-each-ref",
            "merge-base",
            "name-rev",
            "check-ignore",
            "check-attr",
            "show-ref",
            "count-objects",
            "version",
            "help",
            "var",
            "diff-tree",
            "diff-files",
            "diff-index",
            "range-diff",
            "cherry",
            "verify-commit",
            "verify-tag",
            "show-branch",
            "fsck",
            "--version",
            "--help",
            "",
        ):
            return
        if sub == "branch":
            if {"D"} & flags or ("-d" in texts and ("-f" in texts or "--force" in texts)) or "M" in flags:
                add(H, "git branch -D deletes unmerged work", "risk:git-destroy")
            elif not [t for t in texts if not t.startswith("-")] or longs & {
                "--list",
                "--show-current",
                "--contains",
                "--merged",
            }:
                return
            else:
                add(M, "git branch changes branches", "risk:git-write")
            return
        if sub == "tag":
            if not texts or texts[0] in ("-l", "--list", "-n") or texts[0].startswith("-n"):
                return
            add(M, "git tag changes tags", "risk:git-write")
            return
        if sub == "remote":
            if not texts or texts[0] in ("-v", "--verbose", "show", "get-url"):
                return
            add(M, "git remote changes remotes", "risk:git-write")
            return
        if sub == "config":
            self._git_config(idx, subj, rest)
            return
        if sub == "stash":
            if texts and texts[0] in ("list", "show"):
                return
            if texts and texts[0] in ("clear", "drop"):
                add(H, f"git stash {texts[0]} throws away stashed work", "risk:git-destroy")
                return
            add(M, "git stash changes the working tree", "risk:git-write")
            return
        if sub == "reflog" and (not texts or texts[0] in ("show",)):
            return
        if sub == "push":
            forced = (
                "f" in flags
                or longs
                & {"--force", "--force-with-lease", "--force-if-includes", "--mirror", "--delete", "--prune"}
                or "-d" in texts
                or any(t.startswith("+") or t.startswith(":") for t in texts)
            )
            if forced:
                add(H, "git push --force/--delete rewrites or removes remote history", "risk:git-force-push")
            else:
                add(M, "git push publishes commits", "risk:git-push")
            self.network.append(idx)
            return
        if sub == "reset":
            if longs & {"--hard", "--merge", "--keep"}:
                add(H, "git reset --hard throws away uncommitted work", "risk:git-destroy")
            else:
                add(M, "git reset moves the branch", "risk:git-write")
            return
        if sub == "clean":
            if "n" in flags or "--dry-run" in longs:
                return
            if "f" in flags or "--force" in longs:
                add(H, "git clean -f deletes untracked files", "risk:git-destroy")
            else:
                add(M, "git clean", "risk:git-write")
            return
        if sub in ("checkout", "restore", "switch"):
            if "f" in flags or "--force" in longs or "." in texts or ("--" in texts and sub != "switch"):
                add(H, f"git {sub} discards uncommitted changes", "risk:git-destroy")
            else:
                add(M, f"git {sub} changes the working tree", "risk:git-write")
            return
        if sub in ("filter-branch", "filter-repo", "update-ref", "replace", "gc", "prune") or (
            sub == "reflog" and texts and texts[0] in ("expire", "delete")
        ):
            add(H, f"git {sub} rewrites or drops history", "risk:git-destroy")
            return
        if sub in ("clone", "fetch", "pull", "ls-remote", "submodule", "lfs", "archive"):
            add(M, f"git {sub} talks to the network", "risk:git-network")
            self.network.append(idx)
            if sub == "clone":
                pos = _positionals(
                    rest,
                    frozenset(
                        {
                            "-b",
                            "--branch",
                            "-o",
                            "--origin",
                            "--depth",
                            "-c",
                            "--config",
                            "--template",
                            "--reference",
                            "-j",
                        }
                    ),
                )
                if len(pos) >= 2:
                    self._target(idx, subj, pos[1], cwd, FileOp.WRITE, verb="clone into")
                if "-c" in texts or "--config" in longs or "--template" in longs:
                    add(H, "git clone -c/--template can make git run programs", "risk:git-config")
            return
        if sub in (
            "add",
            "commit",
            "rm",
            "mv",
            "merge",
            "rebase",
            "cherry-pick",
            "revert",
            "am",
            "apply",
            "init",
            "worktree",
            "notes",
            "bisect",
            "sparse-checkout",
            "mergetool",
            "difftool",
            "format-patch",
            "send-email",
            "bundle",
            "maintenance",
            "restore",
            "stage",
            "commit-tree",
            "hash-object",
            "update-index",
            "write-tree",
            "read-tree",
            "symbolic-ref",
        ):
            add(M, f"git {sub} changes the repository", "risk:git-write")
            return
        add(
            M,
            f"git {sub} is not a known git command (it may be an alias that runs a program)",
            "risk:git-alias",
        )

    def _git_config(self, idx: int, subj: str, rest: list[Word]) -> None:
        texts = [w.text for w in rest]
        pos = [t for t in texts if not t.startswith("-")]
        getters = {
            "--get",
            "--get-all",
            "--get-regexp",
            "--list",
            "-l",
            "--get-urlmatch",
            "--show-origin",
            "get",
            "list",
        }
        if set(texts) & getters or (len(pos) <= 1 and "--unset" not in texts and "--add" not in texts):
            return
        key = pos[1] if pos and pos[0] in ("set", "unset") and len(pos) > 1 else (pos[0] if pos else "")
        if re.match(
            r"(?i)^(core\.(fsmonitor|pager|hookspath|sshcommand|editor|askpass|gitproxy|"
            r"worktree|attributesfile|excludesfile)|alias\.|.*\.(command|textconv|cmd|helper|path|"
            r"program|tool)$|filter\.|diff\..*|merge\..*|credential|include|sequence\.editor|"
            r"gpg\.program|uploadpack|receivepack|http\.|url\.)",
            key,
        ):
            self._add(H, f"git config {key} can make git run programs", "risk:git-config", subj, idx)
        else:
            self._add(M, "git config changes repository settings", "risk:git-write", subj, idx)

    # -- interpreters and shells --------------------------------------------------------------------
    def _shell(self, idx: int, p: Part) -> None:
        if p.code_payload_parsed:
            return  # the payload's own parts were judged
        args = [w for w in p.args if not (w.text.startswith(("-", "+")) and len(w.text) > 1)]
        if p.name == "busybox":
            args = args[1:]
        if args:
            script = args[0]
            if script.dynamic:
                self._add(
                    H, f"{p.name} runs a script only known at run time", "risk:dynamic-code", p.display, idx
                )
                self.dynamic_code.append(idx)
            else:
                self._add(M, f"{p.name} runs the script {script.text}", "risk:run-script", p.display, idx)
            return
        if p.stdin_pipe or p.stdin_payload is not None:
            self._add(H, f"{p.name} runs commands it reads from a pipe", "risk:pipe-to-shell", p.display, idx)
            self.dynamic_code.append(idx)
            return
        self._add(M, f"starts an interactive {p.name}", "risk:shell", p.display, idx)

    def _python(self, idx: int, p: Part) -> None:
        args = p.args
        i = 0
        while i < len(args):
            t = args[i].text
            if t in ("-V", "--version", "-h", "--help") and i == 0 and len(args) == 1:
                return
            if t == "-c" or (t.startswith("-") and not t.startswith("--") and "c" in t[1:]):
                after = t[t.index("c") + 1 :] if t != "-c" else ""
                code = Word(after, after) if after else (args[i + 1] if i + 1 < len(args) else Word("", ""))
                self._inline(idx, p, code)
                return
            if t == "-m" or (t.startswith("-m") and len(t) > 2):
                mod = t[2:] if len(t) > 2 else (args[i + 1].text if i + 1 < len(args) else "")
                margs = args[i + (1 if len(t) > 2 else 2) :]
                self._python_module(idx, p, mod, margs)
                return
            if t in ("-W", "-X", "--check-hash-based-pycs"):
                i += 2
                continue
            if t == "-":
                break
            if t.startswith("-"):
                i += 1
                continue
            w = args[i]
            if w.dynamic:
                self._add(
                    H, "runs a Python script only known at run time", "risk:dynamic-code", p.display, idx
                )
                self.dynamic_code.append(idx)
            else:
                self._add(M, f"runs the Python script {w.text}", "risk:run-script", p.display, idx)
            return
        self._stdin_code(idx, p)

    def _python_module(self, idx: int, p: Part, mod: str, margs: list[Word]) -> None:
        if mod in (
            "pytest",
            "unittest",
            "doctest",
            "py_compile",
            "compileall",
            "tokenize",
            "json.tool",
            "mypy",
            "ruff",
            "black",
            "isort",
            "flake8",
            "pylint",
            "pydoc",
            "tabnanny",
            "pyclbr",
            "coverage",
            "site",
            "sysconfig",
            "platform",
            "this",
            "calendar",
        ):
            return
        if mod in ("pip", "pip3"):
            self._package(
                idx, Part(argv=[Word("pip", "pip"), *margs], name="pip", display=p.display, cwd=p.cwd)
            )
            return
        if mod in ("venv", "virtualenv"):
            for w in _positionals(margs)[:1]:
                self._target(idx, p.display, w, p.cwd, FileOp.WRITE)
            return
        if mod in ("timeit", "cProfile", "profile", "trace", "pdb", "code", "runpy"):
            self._inline(idx, p, Word(" ".join(w.text for w in margs), "", any(w.dynamic for w in margs)))
            return
        if mod in ("http.server", "SimpleHTTPServer", "smtpd", "ftplib", "telnetlib", "xmlrpc.server"):
            self._add(H, f"python -m {mod} opens a network service", "risk:network-service", p.display, idx)
            return
        self._add(M, f"runs the Python module {mod}", "risk:run-module", p.display, idx)

    def _interp(self, idx: int, p: Part) -> None:
        flags = INLINE_CODE_FLAGS.get(p.name, ())
        args = p.args
        for i, w in enumerate(args):
            t = w.text
            if t in ("-v", "--version", "-V", "-h", "--help") and len(args) == 1:
                return
            is_code = False
            if t.startswith("--") and t.split("=")[0] in flags:
                is_code = True
                if "=" in t:
                    self._inline(idx, p, Word(t.split("=", 1)[1], w.raw, w.dynamic))
                    return
            elif (
                t.startswith("-") and not t.startswith("--") and t[-1] in [f for f in flags if len(f) == 1]
            ) or (t in flags):
                is_code = True  # -e, -ne, -pe, -lne: the code follows (but -rsocket is a library)
            if is_code:
                code = args[i + 1] if i + 1 < len(args) else Word("", "")
                self._inline(idx, p, code)
                if p.name == "perl" and "i" in t:
                    for f in _positionals(args[i + 2 :]):
                        self._target(idx, p.display, f, p.cwd, FileOp.WRITE, verb="edit in place")
                return
            if not t.startswith("-"):
                if w.dynamic:
                    self._add(
                        H,
                        f"{p.name} runs a script only known at run time",
                        "risk:dynamic-code",
                        p.display,
                        idx,
                    )
                    self.dynamic_code.append(idx)
                else:
                    self._add(M, f"{p.name} runs the script {t}", "risk:run-script", p.display, idx)
                return
        self._stdin_code(idx, p)

    def _stdin_code(self, idx: int, p: Part) -> None:
        if p.stdin_payload is not None:
            self._inline(idx, p, Word(p.stdin_payload, "<stdin>", p.stdin_dynamic))
            if p.stdin_dynamic:
                self.dynamic_code.append(idx)
            return
        if p.stdin_pipe:
            self._add(
                H, f"{p.name} runs code it reads from a pipe", "risk:pipe-to-interpreter", p.display, idx
            )
            self.dynamic_code.append(idx)
            return
        self._add(M, f"starts an interactive {p.name}", "risk:interpreter", p.display, idx)

    def _inline(self, idx: int, p: Part, code: Word) -> None:
        r, why = code_risk(code.text, p.name)
        if code.dynamic and r is not C:
            self.dynamic_code.append(idx)
            why = "runs interpreter code only known at run time"
        self._add(
            r,
            f"{p.name} one-liner: {why}",
            "risk:inline-code" if r is not C else "risk:inline-code-critical",
            p.display,
            idx,
        )

    # -- network --------------------------------------------------------------------------------
    def _raw_net(self, idx: int, p: Part) -> None:
        texts = [w.text for w in p.args]
        joined = " ".join(texts).lower()
        flags = _short_flags(p.args)
        if p.name in ("nc", "ncat", "netcat") and (
            {"e", "c"} & flags or "--exec" in joined or "--sh-exec" in joined or "--lua-exec" in joined
        ):
            self._add(
                C,
                f"{p.name} -e hands a shell to the network (reverse/bind shell)",
                "risk:reverse-shell",
                p.display,
                idx,
            )
            return
        if p.name == "socat" and re.search(r"\b(exec|system):", joined):
            self._add(
                C,
                "socat exec: connects a program to the network (reverse shell)",
                "risk:reverse-shell",
                p.display,
                idx,
            )
            return
        if p.name == "ssh":
            if {"R", "L", "D"} & flags or any(
                t.startswith("-oProxyCommand") or "proxycommand" in t.lower() for t in texts
            ):
                self._add(H, "ssh opens tunnels or runs a proxy command", "risk:ssh-tunnel", p.display, idx)
            self._add(H, "ssh runs commands on another machine with your keys", "risk:ssh", p.display, idx)
            return
        if p.name in ("scp", "sftp"):
            self._add(
                H, f"{p.name} copies files to or from another machine", "risk:remote-copy", p.display, idx
            )
            return
        if "l" in flags and p.name in ("nc", "ncat", "netcat"):
            self._add(H, f"{p.name} -l listens for connections", "risk:listener", p.display, idx)
            return
        self._add(H, f"{p.name} opens raw network connections", "risk:raw-network", p.display, idx)

    def _fetch(self, idx: int, p: Part) -> None:
        name = p.name
        if name == "openssl":
            sub = p.args[0].text if p.args else ""
            if sub not in ("s_client", "s_server"):
                for w in _opt_values(p.args, ("-out",)):
                    self._target(idx, p.display, w, p.cwd, FileOp.WRITE)
                return
        if name in ("gh", "glab"):
            self._add(M, f"{name} talks to the code-hosting service", "risk:network", p.display, idx)
            return
        if name == "rsync":
            pos = _positionals(p.args, frozenset({"-e", "--rsh", "--exclude", "--include", "--filter", "-f"}))
            remote = any(":" in w.text and not w.text.startswith("/") for w in pos)
            self._add(
                H if remote else M,
                "rsync copies files" + (" to another machine" if remote else ""),
                "risk:rsync",
                p.display,
                idx,
            )
            if pos and ":" not in pos[-1].text:
                self._target(idx, p.display, pos[-1], p.cwd, FileOp.WRITE, recursive=False, verb="rsync into")
            if any(w.text.startswith(("-e", "--rsh")) for w in p.args):
                self._add(H, "rsync -e runs a program", "risk:rsync-exec", p.display, idx)
            return
        upload = any(
            w.text.startswith(
                (
                    "-d",
                    "--data",
                    "-F",
                    "--form",
                    "-T",
                    "--upload-file",
                    "--post-file",
                    "--body-file",
                    "--post-data",
                )
            )
            for w in p.args
        )
        self._add(
            M,
            f"{name} {'uploads to' if upload else 'downloads from'} the network",
            "risk:network",
            p.display,
            idx,
        )
        outs: list[Word] = []
        if name == "curl":
            outs = _opt_values(p.args, ("-o", "--output"))
            if any(w.text in ("-K", "--config") for w in p.args):
                self._add(M, "curl reads a config file", "risk:network", p.display, idx)
        elif name == "wget":
            outs = _opt_values(
                p.args,
                (
                    "-O",
                    "--output-document",
                    "-P",
                    "--directory-prefix",
                    "-o",
                    "--output-file",
                    "-a",
                    "--append-output",
                ),
            )
        elif name in ("aria2c",):
            outs = _opt_values(p.args, ("-d", "--dir", "-o", "--out"))
        for w in outs:
            if w.text == "-":
                continue
            self._target(idx, p.display, w, p.cwd, FileOp.WRITE, verb="download into")

    def _package(self, idx: int, p: Part) -> None:
        pos = _positionals(
            p.args,
            frozenset(
                {
                    "-C",
                    "--cwd",
                    "--prefix",
                    "-r",
                    "--requirement",
                    "-c",
                    "-e",
                    "--python",
                    "-p",
                    "--index-url",
                    "-i",
                    "--extra-index-url",
                    "--target",
                    "-t",
                }
            ),
        )
        sub = pos[0].text if pos else (p.args[0].text if p.args else "")
        if (
            not p.args
            or sub in PM_READ_SUBCOMMANDS
            or (sub in ("run", "exec") and p.name in ("uv", "poetry"))
        ):
            return
        if p.name in ("npx", "uvx", "pipx") or (
            p.name in ("npm", "pnpm", "yarn", "bun") and sub in ("exec", "dlx", "x")
        ):
            self._add(M, f"{p.name} downloads and runs a package", "risk:package-run", p.display, idx)
            return
        if sub in PM_INSTALL:
            self._add(
                M,
                f"{p.name} {sub} installs or changes packages (network, install scripts)",
                "risk:package-install",
                p.display,
                idx,
            )
            for w in _opt_values(p.args, ("--target", "-t", "--prefix", "--root")):
                self._target(idx, p.display, w, p.cwd, FileOp.WRITE, verb="install into")
            return
        self._add(M, f"{p.name} {sub} runs project code or tooling", "risk:build", p.display, idx)


def sed_script_danger(script: str) -> str:
    """'exec' if a sed script runs commands (e), 'write' if it writes files (w/W), else ''."""
    i, n = 0, len(script)
    while i < n:
        c = script[i]
        if c in " \t\n;{}!0123456789,$~+":
            i += 1
            continue
        if c in "/\\":  # address regex /re/ or \cREc
            delim = c if c == "/" else (script[i + 1] if i + 1 < n else "/")
            i += 1 if c == "/" else 2
            while i < n and script[i] != delim:
                i += 2 if script[i] == "\\" else 1
            i += 1
            continue
        if c in "sy":
            if i + 1 >= n:
                return ""
            delim = script[i + 1]
            i += 2
            for _ in range(2):
                while i < n and script[i] != delim:
                    i += 2 if script[i] == "\\" else 1
                i += 1
            flags = ""
            while i < n and script[i] not in ";\n}":
                flags += script[i]
                i += 1
            if c == "s":
                if "e" in flags:
                    return "exec"
                if "w" in flags:
                    return "write"
            continue
        if c == "e":
            return "exec"
        if c in "wW":
            return "write"
        if c in "aic":  # text commands: the rest of the line is text
            while i < n and script[i] != "\n":
                i += 1
            continue
        if c in "rRbtTq:QlL":  # commands with an argument up to the end of the command
            i += 1
            while i < n and script[i] not in ";\n}":
                i += 1
            continue
        i += 1
    return ""
