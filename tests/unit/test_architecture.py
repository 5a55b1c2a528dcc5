"""The import graph of the whole project (grimp, which import-linter builds on): no module takes
part in an import cycle, across apps too. import-linter's acyclic_siblings contract sees cycles
between the parts of one package; this sees any cycle between two modules, wherever they are.

The one sanctioned back-arrow: a task imports its service inside the function (services import
their `*_task` at the top, as in the HackSoft styleguide). Those imports are left out here;
any other import, at the top or inside a function, counts.
"""

import grimp

PACKAGES = ("tipiportal", "payments", "debts", "accounts", "choruspro", "staff")


def _is_task_to_its_service(importer: str, imported: str) -> bool:
    app = importer.split(".")[0]
    if (importer, imported) == ("payments.sandbox.tasks", "payments.sandbox.payfip_side"):
        return True  # the sandbox's one task and what it runs
    return importer == f"{app}.tasks" and (
        imported.startswith(f"{app}.services") or imported == "payments.returns.replay"
    )


def _graph():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if _is_task_to_its_service(importer, imported):
                graph.remove_import(importer=importer, imported=imported)
    return graph


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_module_takes_part_in_an_import_cycle():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for name in ("a", "a.one", "a.two", "a.three"):
        graph.add_module(name)
    graph.add_import(importer="a.one", imported="a.two")
    graph.add_import(importer="a.two", imported="a.three")
    graph.add_import(importer="a.three", imported="a.one")
    assert _cycles(graph) == [["a.one", "a.three", "a.two"]]
