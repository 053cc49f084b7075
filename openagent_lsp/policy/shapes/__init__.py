"""The allowlist: known-safe argument shapes of the programs the agent runs.

A command is auto-allowed only when every program and every argument matches a shape here, with its
options parsed the way the program itself parses them (``options.py``). Each catalogue module covers
one family; ``check.judge_shape`` matches one simple command and says what its arguments mean (files
read, trees searched, files written, scripts run, links made) and whether it runs workspace code.

- ``options``          getopt_long-style parsing: abbreviations, clusters, attached values, old-style tar
- ``program``          ``Program``: a program's syntax, operand kinds, runner flag and loaded files
- ``catalog_files``    coreutils and text tools
- ``catalog_search``   grep, rg, jq, sed, awk, tar
- ``catalog_dev``      test runners, linters, build tools, compilers, python -m modules
- ``catalog_git``      git sub-commands
- ``catalog_shell``    bash builtins and wrappers (env, timeout, xargs...)
- ``check``            matching, plus the programs whose argument meaning depends on other arguments
"""
