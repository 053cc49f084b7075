"""Which handler judges which program: the one table to grep for "who handles git?".

Families without a per-program entry (shells, interpreters, package managers, network tools...)
are dispatched by the tables in ``tables.py``; see ``assessor.RiskAssessor._judge_part``.
"""

from __future__ import annotations

from openagent_lsp.policy.risk import archives, files, git, system, text
from openagent_lsp.policy.risk.assessment import Handler

HANDLERS: dict[str, Handler] = {
    # files
    "rm": files.handle_rm,
    "rmdir": files.handle_rmdir,
    "unlink": files.handle_rmdir,
    "shred": files.handle_shred,
    "mv": files.handle_mv,
    "truncate": files.handle_truncate,
    "fallocate": files.handle_truncate,
    "chmod": files.handle_chmod,
    "chown": files.handle_chown,
    "chgrp": files.handle_chown,
    "dd": files.handle_dd,
    "find": files.handle_find,
    # text processors with a language inside
    "sed": text.handle_sed,
    "awk": text.handle_awk,
    "gawk": text.handle_awk,
    "mawk": text.handle_awk,
    "nawk": text.handle_awk,
    # archives
    "tar": archives.handle_tar,
    "unzip": archives.handle_unzip,
    # version control
    "git": git.handle_git,
    # processes, services, environment
    "kill": system.handle_kill,
    "killall5": system.handle_killall5,
    "hostname": system.handle_hostname,
    "docker": system.handle_container,
    "podman": system.handle_container,
    "hash": system.handle_hash,
    "systemctl": system.handle_systemctl,
    "crontab": system.handle_crontab,
    "history": system.handle_history,
    "set": system.handle_set,
    "printenv": system.handle_printenv,
    "env": system.handle_env,
    "export": system.env_dump,
    "declare": system.env_dump,
    "typeset": system.env_dump,
}

# What a run-time program name (``$X -rf /``) would do if it were one of these: the handlers used
# to test the arguments for something catastrophic.
DESTRUCTIVE_GUESSES: dict[str, Handler] = {
    "rm": files.handle_rm,
    "chmod": files.handle_chmod,
    "chown": files.handle_chown,
    "dd": files.handle_dd,
    "shred": files.handle_shred,
}
