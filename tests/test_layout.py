"""The layout rules from style.md, checked with ast; and the README documents every command."""

from __future__ import annotations

import ast
import re

import click

from bot.cli import main

from .conftest import ROOT

STAGES = {"fetch", "feeds", "extract", "text", "topics", "claims", "novelty", "digest"}
# text.py is the shared language toolkit (sentences, tokens, figures): pure, like models.
BASE = {"models", "errors", "text"}


def bot_imports(path) -> set[str]:  # type: ignore[no-untyped-def]
    """Top-level bot modules a file imports, however it spells the import."""
    depth = len(path.relative_to(ROOT / "bot").parts) - 1  # 0 for bot/x.py, 1 for bot/pkg/x.py
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and (node.module or "").startswith("bot."):
                found.add(node.module.split(".")[1])
            elif node.level == depth + 1 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == depth + 1:
                found.update(alias.name for alias in node.names)
    return found


def module_name(path) -> str:  # type: ignore[no-untyped-def]
    return path.relative_to(ROOT / "bot").parts[0].removesuffix(".py")


def test_stages_import_only_models_errors_text_and_libraries() -> None:
    for path in (ROOT / "bot").rglob("*.py"):
        name = module_name(path)
        if name in STAGES:
            extra = bot_imports(path) - BASE - {name}
            assert not extra, f"{path.relative_to(ROOT)} imports {sorted(extra)}"


def test_store_and_delivery_import_models_not_stages() -> None:
    for package, allowed in (("store", BASE), ("delivery", BASE | {"digest"})):
        for path in (ROOT / "bot" / package).rglob("*.py"):
            extra = bot_imports(path) - allowed - {package}
            assert not extra, f"{path.relative_to(ROOT)} imports {sorted(extra)}"


def test_nothing_imports_the_cli() -> None:
    for path in (ROOT / "bot").rglob("*.py"):
        if module_name(path) != "cli" and path.name != "__main__.py":
            assert "cli" not in bot_imports(path), path


def test_no_stage_reads_the_clock() -> None:
    for path in (ROOT / "bot").rglob("*.py"):
        if module_name(path) in STAGES | {"pipeline", "store", "delivery"}:
            assert not re.search(r"datetime\.now\(|datetime\.utcnow\(|date\.today\(", path.read_text()), path


def test_readme_documents_every_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    def walk(group: click.Group, prefix: str) -> list[str]:
        names = []
        for name, command in group.commands.items():
            full = f"{prefix} {name}"
            names.append(full)
            if isinstance(command, click.Group):
                names += walk(command, full)
        return names

    missing = [c for c in walk(main, "claimbot") if c not in readme]
    assert not missing, f"README does not mention {missing}"


def test_every_command_help_ends_with_an_example() -> None:
    def walk(group: click.Group, prefix: str) -> list[tuple[str, click.Command]]:
        found = []
        for name, command in group.commands.items():
            found.append((f"{prefix} {name}", command))
            if isinstance(command, click.Group):
                found += walk(command, f"{prefix} {name}")
        return found

    for name, command in walk(main, "claimbot"):
        # A group that runs on its own (`claimbot feeds`, `claimbot claims`) is a command too.
        if not isinstance(command, click.Group) or command.invoke_without_command:
            assert "Example:" in (command.help or ""), name


def test_no_cli_module_grows_past_the_style_guide() -> None:
    for path in (ROOT / "bot" / "cli").glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) < 300, path
