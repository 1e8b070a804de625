"""environment.yml text -> parsed data and line numbers, refusing what no environment.yml needs.

The first line of defence against a hostile file: a size cap, no NUL, no YAML anchors or aliases (an alias
bomb is refused at its first anchor), a nesting cap below Python's recursion limit. What the entries mean is
yml_read's business.
"""

from __future__ import annotations

from typing import Any

from .spec import EnvSpecError

MAX_YML_BYTES = 1 << 20  # a real environment.yml is a few KiB; `conda env export` of a big env stays under 100 KiB
MAX_YML_DEPTH = 8  # mapping > dependencies > pip: > entry is 4 deep


def _strict_loader(text: str) -> Any:
    """A PyYAML SafeLoader over `text` that refuses anchors, aliases and deep nesting while composing.

    An alias bomb (a few hundred bytes that expand to gigabytes) is refused at its first anchor, before any
    expansion; nesting is capped before PyYAML's recursive composer can hit Python's recursion limit."""
    import yaml

    class Loader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
            event = self.peek_event()  # type: ignore[no-untyped-call]  # types-PyYAML leaves the parser API untyped
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise EnvSpecError(f"line {event.start_mark.line + 1}: YAML anchors and aliases (& and *) are "
                                   "not allowed in an environment.yml; write each entry out")
            self.depth += 1
            if self.depth > MAX_YML_DEPTH:
                raise EnvSpecError(f"line {event.start_mark.line + 1}: the file is nested more than "
                                   f"{MAX_YML_DEPTH} levels deep, which no environment.yml needs")
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return Loader(text)


def load_yml(text: str) -> tuple[Any, dict[Any, int]]:
    """The parsed file and the line number of each top-level key, channel, dependency and pip entry."""
    import yaml

    if len(text) > MAX_YML_BYTES:
        raise EnvSpecError(f"the file is larger than {MAX_YML_BYTES // 1024} KiB, which no environment.yml needs")
    if "\x00" in text:
        raise EnvSpecError("the file contains NUL characters: it is not a text file")
    loader = _strict_loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise EnvSpecError(f"not valid YAML: {str(exc)[:300]}") from None
    except RecursionError:  # belt and braces: the depth cap should stop it first
        raise EnvSpecError("the file is nested too deeply to be an environment.yml") from None
    finally:
        loader.dispose()
    lines: dict[Any, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = getattr(key, "value", None)
            if not isinstance(k, str):
                continue
            lines[k] = key.start_mark.line + 1
            if k in ("channels", "dependencies") and isinstance(value, yaml.SequenceNode):
                for i, item in enumerate(value.value):
                    lines[(k, i)] = item.start_mark.line + 1
                    if k == "dependencies" and isinstance(item, yaml.MappingNode):
                        for pk, pv in item.value:
                            if getattr(pk, "value", None) == "pip" and isinstance(pv, yaml.SequenceNode):
                                for j, entry in enumerate(pv.value):
                                    lines[("pip", j)] = entry.start_mark.line + 1
    return data, lines
