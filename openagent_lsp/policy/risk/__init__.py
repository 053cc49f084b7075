"""Risk assessment of analysed shell commands, one module per program family.

- ``tables``      which programs belong to which family; destructive-text and code patterns
- ``assessment``  ``Finding`` and the per-command ``Assessment`` state
- ``targets``     paths a command reads, writes or deletes, judged by the path policy
- ``handlers``    ``HANDLERS``: program name -> handler
- ``files``, ``text``, ``archives``, ``git``, ``code``, ``network``, ``packages``, ``system``:
  the handlers, by family
- ``assessor``    ``RiskAssessor``: dispatch, exec options, combinations across parts
"""

from __future__ import annotations

from openagent_lsp.policy.risk.assessment import Assessment, Finding, Handler
from openagent_lsp.policy.risk.assessor import RiskAssessor
from openagent_lsp.policy.risk.code import code_risk
from openagent_lsp.policy.risk.handlers import HANDLERS
from openagent_lsp.policy.risk.tables import DESTRUCTIVE_TEXT
from openagent_lsp.policy.risk.text import sed_script_danger

__all__ = [
    "DESTRUCTIVE_TEXT",
    "HANDLERS",
    "Assessment",
    "Finding",
    "Handler",
    "RiskAssessor",
    "code_risk",
    "sed_script_danger",
]
