"""Which syntax nodes define something, per tree-sitter grammar: the one table for the whole server.

- ``NAMED_DEFINITIONS``: node type -> kind of the definitions a file's outline lists (they have names);
- ``ANONYMOUS_FUNCTIONS``: functions without a declaration of their own (closures, arrow functions),
  which enclose code just as well.

The outline lists the first; the enclosing scope of a cursor and the code a code action edits are
found among both (``enclosing_kinds``).
"""

from __future__ import annotations

NAMED_DEFINITIONS: dict[str, dict[str, str]] = {
    "python": {"function_definition": "function", "class_definition": "class"},
    "javascript": {
        "function_declaration": "function",
        "generator_function_declaration": "function",
        "class_declaration": "class",
        "method_definition": "method",
    },
    "go": {"function_declaration": "function", "method_declaration": "method", "type_spec": "type"},
    "rust": {
        "function_item": "function",
        "function_signature_item": "function",
        "struct_item": "struct",
        "enum_item": "enum",
        "union_item": "struct",
        "trait_item": "trait",
        "impl_item": "impl",
        "mod_item": "module",
        "type_item": "type",
        "macro_definition": "macro",
    },
}
NAMED_DEFINITIONS["typescript"] = {
    **NAMED_DEFINITIONS["javascript"],
    "abstract_class_declaration": "class",
    "interface_declaration": "interface",
    "type_alias_declaration": "type",
    "enum_declaration": "enum",
    "internal_module": "module",
    "function_signature": "function",
    "abstract_method_signature": "method",
}
NAMED_DEFINITIONS["tsx"] = NAMED_DEFINITIONS["typescript"]

_JS_ANONYMOUS = {
    "function_expression": "function",
    "function": "function",
    "generator_function": "function",
    "arrow_function": "function",
    "class": "class",
}
ANONYMOUS_FUNCTIONS: dict[str, dict[str, str]] = {
    "python": {},
    "javascript": _JS_ANONYMOUS,
    "typescript": _JS_ANONYMOUS,
    "tsx": _JS_ANONYMOUS,
    "go": {"func_literal": "function"},
    "rust": {"closure_expression": "function"},
}

# Wrappers that belong to the definition inside them: an edit of the function takes its decorators.
DEFINITION_WRAPPERS = frozenset({"decorated_definition"})


def enclosing_kinds(grammar: str) -> dict[str, str]:
    """Node type -> kind of everything that can enclose a cursor as a scope, for ``grammar``."""
    return {**NAMED_DEFINITIONS.get(grammar, {}), **ANONYMOUS_FUNCTIONS.get(grammar, {})}
