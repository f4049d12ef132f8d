"""The rule that keeps tools thin: no tool imports another tool, and no code
loads a tool as a module (by path or by name).

A tool under ``tools/`` only parses arguments and calls the package; code
that two tools (or a tool and a test) need belongs in the package. This
module finds what breaks the rule in Python source, for the repository's
own check (``tests/tools/test_no_tool_imports.py``).
"""
import ast
from typing import AbstractSet, List

#: Calls that load a module from a file path or a computed name.
MODULE_LOADERS = frozenset({
    'spec_from_file_location', 'SourceFileLoader', 'load_source',
    'run_path', 'run_module', 'import_module', '__import__'
})


def _imported(node: ast.AST) -> List[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and not node.level:
        return [node.module or '']
    return []


def tool_imports(source: str, is_tool: bool,
                 tool_names: AbstractSet[str]) -> List[str]:
    """What in ``source`` imports or loads a tool module.

    Args:
        source: Python source text.
        is_tool: Whether ``source`` is a tool itself. A tool run as a script
            has its own folder on ``sys.path``, so a bare tool name imported
            there is another tool.
        tool_names: Module names of the tools (file stems).

    Returns:
        list[str]: ``'line N: imports X'`` / ``'line N: calls F()'`` per
        offending statement, in source order.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        for name in _imported(node):
            top = name.split('.')[0]
            if top == 'tools' or (is_tool and top in tool_names):
                found.append(f'line {node.lineno}: imports {name}')
        called = node.func if isinstance(node, ast.Call) else None
        name = getattr(called, 'attr', None) or getattr(called, 'id', None)
        if name in MODULE_LOADERS:
            found.append(f'line {node.lineno}: calls {name}()')
    return found
