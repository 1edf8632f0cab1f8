"""Reference checks on a schema-valid roadmap: everything that names something must find it.

Unknown people, roles, events and stages (with a "did you mean"), duplicate ids, dependency
cycles (named in full), event groups that clash with ids, and people nobody can reach.

Document numbers may repeat (tables that restart at 1 in each section): a number in `depends_on`
means the stage with it in the referring stage's own section, never the referring stage itself,
else the only other stage with it (`engine.plan.StageNumbers`); a number that still names several
stages is an error listing them, and "этап не может зависеть сам от себя" is said only when the
number names that stage and no other.

Reach: a person without any contact is warned about; so is a role without members, and one warning
lists every stage whose responsible people resolve to nobody with a contact — stages that would
remind nobody.

"Did you mean" compares an unknown name with every known one, so its cost is the product of the
two counts: a file of 10,000 stages each naming a misspelt stage took ten minutes. Suggestions are
therefore made within a budget of `SUGGESTION_BUDGET` comparisons per check, in file order; every
unknown name is still reported, the ones past the budget without a suggestion. A name quoted back
is cut to 80 characters.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection

from cyclogram.engine.diagnostics import Severity
from cyclogram.engine.model import PathKey, Roadmap, StageRef, normalize_number, walk_stages
from cyclogram.engine.plan import PlanIssue, StageNumbers, section_of, stage_dependencies
from cyclogram.engine.timeexpr import Relative

SUGGESTION_BUDGET = 100_000  # names compared for "did you mean" in one check (about half a second)


class _Suggestions:
    """'Did you mean' for unknown names, within `SUGGESTION_BUDGET` comparisons (module docstring)."""

    def __init__(self) -> None:
        self.left = SUGGESTION_BUDGET

    def __call__(self, name: str, candidates: Collection[str]) -> str:
        if len(candidates) > self.left or len(name) > 100:
            return ""
        self.left -= len(candidates)
        near = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
        return f"; возможно, имелось в виду «{near[0]}»" if near else ""


def _shown(name: str) -> str:
    return name if len(name) <= 80 else name[:79] + "…"


def check_references(roadmap: Roadmap, assume_known: Collection[str] = ()) -> list[PlanIssue]:
    """`assume_known`: names of parts set aside because of schema errors (see engine.salvage);
    references to them are not reported again."""
    issues: list[PlanIssue] = []
    suggest = _Suggestions()
    people, roles, events = roadmap.people, roadmap.roles, roadmap.events
    known = set(assume_known)
    groups = {event.group for event in events.values() if event.group}
    refs = walk_stages(roadmap)

    for key, person in people.items():
        if person.supervisor is not None and person.supervisor not in people and person.supervisor not in known:
            issues.append(
                PlanIssue(
                    Severity.ERROR,
                    f"неизвестный руководитель «{person.supervisor}»{suggest(person.supervisor, people)}",
                    ("people", key, "supervisor"),
                )
            )
        if person.supervisor == key:
            issues.append(
                PlanIssue(Severity.ERROR, "человек не может быть собственным руководителем", ("people", key, "supervisor"))
            )
    for key, role in roles.items():
        if key in people:
            issues.append(
                PlanIssue(Severity.ERROR, f"«{key}» — одновременно человек и роль; дайте роли другой ключ", ("roles", key))
            )
        for index, member in enumerate(role.members):
            if member not in people and member not in known:
                issues.append(
                    PlanIssue(
                        Severity.ERROR,
                        f"в роли «{role.title}» неизвестный человек «{member}»{suggest(member, people)}",
                        ("roles", key, "members", index),
                    )
                )
    for key, event in events.items():
        if event.end is not None and event.start is None:
            issues.append(
                PlanIssue(
                    Severity.ERROR,
                    "указано окончание события без начала; если у события нет начала, напишите start: open",
                    ("events", key, "end"),
                )
            )
    stage_ids = {ref.stage.id for ref in refs}
    for group in sorted(groups):
        if group in events or group in stage_ids:
            issues.append(
                PlanIssue(Severity.ERROR, f"группа событий «{group}» совпадает с ключом события или этапа", ("events",))
            )

    by_ref = {ref.stage.id: ref for ref in refs}
    seen_ids: dict[str, PathKey] = {}
    seen_numbers: dict[tuple[PathKey, str], str] = {}  # numbers repeat across sections, not within one
    for ref in refs:
        stage = ref.stage
        if stage.id in seen_ids:
            issues.append(
                PlanIssue(Severity.ERROR, f"этап с id «{stage.id}» уже есть выше; id должны быть уникальными", ref.path + ("id",))
            )
        seen_ids.setdefault(stage.id, ref.path)
        if stage.id in events or stage.id in groups:
            issues.append(
                PlanIssue(
                    Severity.ERROR,
                    f"id этапа «{stage.id}» совпадает с ключом события; ссылки станут неоднозначными",
                    ref.path + ("id",),
                )
            )
        if stage.number:
            number = (section_of(ref), normalize_number(stage.number))
            if number in seen_numbers:
                issues.append(
                    PlanIssue(
                        Severity.WARNING,
                        f"номер {stage.number} уже есть у этапа «{seen_numbers[number]}»",
                        ref.path + ("number",),
                    )
                )
            seen_numbers.setdefault(number, stage.id)

    numbers = StageNumbers(refs)
    anchors = set(events) | groups | stage_ids
    for ref in refs:
        stage = ref.stage
        for index, key in enumerate(stage.responsible):
            if key not in people and key not in roles and key not in known:
                issues.append(
                    PlanIssue(
                        Severity.ERROR,
                        f"неизвестный ответственный «{key}»: такого человека или роли нет в people/roles{suggest(key, [*people, *roles])}",
                        ref.path + ("responsible", index),
                    )
                )
        for index, dep in enumerate(stage.depends_on):
            found = numbers.candidates(dep, ref)
            if numbers.only_self(dep, ref):
                issues.append(PlanIssue(Severity.ERROR, "этап не может зависеть сам от себя", ref.path + ("depends_on", index)))
            elif len(found) > 1:
                shown = " / ".join(_where(key, by_ref) for key in found[:6])
                issues.append(
                    PlanIssue(
                        Severity.ERROR,
                        f"номер «{_shown(dep)}» есть у нескольких этапов: {shown}; укажите id нужного этапа",
                        ref.path + ("depends_on", index),
                    )
                )
            elif not found and normalize_number(dep) not in known and dep not in known:
                issues.append(
                    PlanIssue(
                        Severity.ERROR,
                        f"неизвестный этап «{_shown(dep)}» в depends_on{suggest(dep, stage_ids)}",
                        ref.path + ("depends_on", index),
                    )
                )
        for name in ("start", "due"):
            expr = getattr(stage, name)
            if not isinstance(expr, Relative):
                continue
            if expr.anchor not in anchors and expr.anchor not in known:
                issues.append(
                    PlanIssue(
                        Severity.ERROR,
                        f"неизвестное событие или этап «{expr.anchor}» в «{expr}»{suggest(expr.anchor, anchors)}",
                        ref.path + (name,),
                    )
                )
            elif (expr.anchor in events or expr.anchor in groups) and expr.edge not in ("start", "end"):
                issues.append(
                    PlanIssue(Severity.ERROR, f"у события есть только .start и .end, а не .{expr.edge}", ref.path + (name,))
                )
            elif expr.anchor == stage.id:
                issues.append(PlanIssue(Severity.ERROR, "срок этапа не может отсчитываться от него самого", ref.path + (name,)))
    issues.extend(check_cycles(roadmap, refs))
    issues.extend(check_contacts(roadmap, refs))
    return [issue for issue in issues if not _about_placeholder(issue)]


def _where(key: str, by_ref: dict[str, StageRef]) -> str:
    """ "3 в разделе «1. Нормативное обеспечение» (id local_act)" — a stage among same-numbered ones."""
    ref = by_ref[key]
    section = ref.sections[-1] if ref.sections else None
    place = f" в разделе «{' '.join(x for x in (section.number, section.title) if x)[:60]}»" if section else " вне разделов"
    return f"{ref.stage.display_number}{place} (id {key})"


def _about_placeholder(issue: PlanIssue) -> bool:
    return any(isinstance(part, str) and part.startswith("__salvaged") for part in issue.path) or ("__salvaged" in issue.message)


def check_cycles(roadmap: Roadmap, refs: list[StageRef] | None = None) -> list[PlanIssue]:
    """Find dependency cycles (depends_on and stage anchors) and name each one in full."""
    refs = walk_stages(roadmap) if refs is None else refs
    by_id: dict[str, StageRef] = {}
    for ref in refs:
        by_id.setdefault(ref.stage.id, ref)
    numbers = StageNumbers(refs)

    graph: dict[str, tuple[str, ...]] = {}
    for ref in refs:
        if ref.stage.id not in graph:
            graph[ref.stage.id] = stage_dependencies(ref.stage, _resolver(numbers, ref), roadmap.events)

    issues: list[PlanIssue] = []
    state: dict[str, int] = {}  # 1 = on the stack, 2 = finished
    reported: set[frozenset[str]] = set()
    for root in graph:
        if state.get(root):
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        state[root] = 1
        while stack:  # iterative DFS: roadmaps of 10,000 stages must not hit the recursion limit
            node, index = stack[-1]
            edges = graph.get(node, ())
            if index < len(edges):
                stack[-1] = (node, index + 1)
                nxt = edges[index]
                if state.get(nxt) == 1:
                    cycle = path[path.index(nxt) :] + [nxt]
                    members = frozenset(cycle)
                    if members not in reported:
                        reported.add(members)
                        shown = " → ".join(by_id[key].stage.display_number for key in cycle)
                        ids = " → ".join(cycle)
                        issues.append(
                            PlanIssue(
                                Severity.ERROR,
                                f"циклическая зависимость: этапы {shown} ({ids}) ждут друг друга, ни один не может начаться",
                                by_id[cycle[0]].path + ("depends_on",),
                            )
                        )
                elif not state.get(nxt):
                    state[nxt] = 1
                    stack.append((nxt, 0))
                    path.append(nxt)
            else:
                state[node] = 2
                stack.pop()
                path.pop()
    return issues


MAX_LISTED = 20  # stages named in one warning; the rest are counted


def _resolver(numbers: StageNumbers, ref: StageRef) -> Callable[[str], str | None]:
    return lambda reference: numbers.resolve(reference, ref)


def check_contacts(roadmap: Roadmap, refs: list[StageRef] | None = None) -> list[PlanIssue]:
    """A responsible person nobody can reach will never get a reminder (module docstring)."""
    responsible: set[str] = set()
    silent: list[StageRef] = []
    used_roles: dict[str, list[str]] = {}
    reachable = {key for key, person in roadmap.people.items() if person.contacts.any}
    refs = walk_stages(roadmap) if refs is None else refs
    label = _stage_labels(refs)
    for ref in refs:
        people: set[str] = set()
        for key in ref.stage.responsible:
            members = roadmap.roles[key].members if key in roadmap.roles else [key]
            if key in roadmap.roles:
                used_roles.setdefault(key, []).append(label(ref))
            people.update(members)
        responsible.update(people)
        known = any(key in roadmap.people or key in roadmap.roles for key in ref.stage.responsible)
        if known and not people & reachable and not _placeholder(ref):
            silent.append(ref)
    issues = _empty_roles(roadmap, used_roles)
    if silent:
        numbers = ", ".join(label(ref) for ref in silent[:MAX_LISTED])
        more = f" и ещё {len(silent) - MAX_LISTED}" if len(silent) > MAX_LISTED else ""
        issues.append(
            PlanIssue(
                Severity.WARNING,
                f"этапы, о которых некому напомнить (ни у кого из ответственных нет контакта): {numbers}{more}",
                silent[0].path + ("responsible",),
            )
        )
    for key in sorted(responsible):
        person = roadmap.people.get(key)
        if person is not None and not person.contacts.any:
            issues.append(
                PlanIssue(
                    Severity.WARNING,
                    f"у ответственного «{person.name}» нет ни одного контакта (email, telegram): напоминания ему не дойдут",
                    ("people", key),
                )
            )
    return issues


def _stage_labels(refs: list[StageRef]) -> Callable[[StageRef], str]:
    """A stage as a warning names it: its document number, with its section's number when the
    number repeats (tables that restart at 1 in each section: "1 (раздел 2.)")."""
    seen: dict[str, int] = {}
    for ref in refs:
        seen[ref.stage.display_number] = seen.get(ref.stage.display_number, 0) + 1

    def label(ref: StageRef) -> str:
        number = ref.stage.display_number
        if seen[number] < 2:
            return number
        section = ref.sections[-1] if ref.sections else None
        where = (section.number or section.title) if section is not None else None
        return f"{number} (раздел {where})" if where else f"{number} (id {ref.stage.id})"

    return label


def _placeholder(ref: StageRef) -> bool:
    return ref.stage.id.startswith("__salvaged")


def _empty_roles(roadmap: Roadmap, used: dict[str, list[str]]) -> list[PlanIssue]:
    issues = []
    for key, role in roadmap.roles.items():
        if role.members:
            continue
        stages = used.get(key, [])
        where = f": этапы {', '.join(stages[:MAX_LISTED])} не напомнят никому из этой роли" if stages else ""
        issues.append(PlanIssue(Severity.WARNING, f"в роли «{role.title}» нет ни одного человека{where}", ("roles", key)))
    return issues
