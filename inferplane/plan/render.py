"""Human-readable views of a graph: the component tree and counts by type."""

from __future__ import annotations

from rich.table import Table
from rich.tree import Tree

from inferplane.plan.graph import Graph, Resource

__all__ = ["OFFLINE_NOTICE", "counts_table", "resource_tree"]

OFFLINE_NOTICE = (
    "offline synthesis: the program runs under Pulumi's mock runtime. No provider validated "
    "inputs, nothing was compared with real state, and computed outputs (IDs, ARNs, URLs) "
    "are stand-ins. Use `pulumi preview` for a real plan."
)


def _label(resource: Resource) -> str:
    kind = "[cyan]" if resource.custom else "[bold magenta]"
    return f"{kind}{resource.type}[/] {resource.name}"


def resource_tree(graph: Graph) -> Tree:
    tree = Tree(f"[bold]{graph.project}/{graph.stack}[/] ({len(graph.resources)} resources)")
    children: dict[str | None, list[Resource]] = {}
    urns = {r.urn for r in graph.resources}
    for resource in graph.resources:
        parent = resource.parent if resource.parent in urns else None
        children.setdefault(parent, []).append(resource)

    def grow(node: Tree, parent: str | None) -> None:
        for resource in children.get(parent, []):
            grow(node.add(_label(resource)), resource.urn)

    grow(tree, None)
    return tree


def counts_table(graph: Graph) -> Table:
    table = Table(title=f"resources by type ({graph.stack})", title_justify="left")
    table.add_column("type")
    table.add_column("count", justify="right")
    for type_, count in sorted(graph.type_counts().items()):
        table.add_row(type_, str(count))
    return table
