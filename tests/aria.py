"""Every id a page refers to (label for=, aria-describedby, aria-labelledby, aria-controls, a
skip or summary link's #fragment) must exist in that page: a screen reader silently drops the rest."""

import lxml.html

_ID_LISTS = ("aria-describedby", "aria-labelledby", "aria-controls", "aria-owns", "aria-errormessage")


def unresolved_references(page_html: str) -> list[str]:
    """The references of this HTML that point to no element, as `<tag attribute="value">` lines."""
    root = lxml.html.fromstring(page_html)
    ids = {element.get("id") for element in root.iter() if element.get("id")}
    missing = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        targets = []
        if element.tag == "label" and element.get("for") is not None:
            targets.append(("for", element.get("for")))
        for attribute in _ID_LISTS:
            targets += [(attribute, value) for value in (element.get(attribute) or "").split()]
        if element.get(attribute := "aria-describedby") == "":
            targets.append((attribute, ""))
        href = element.get("href") or ""
        if element.tag == "a" and href.startswith("#") and len(href) > 1:
            targets.append(("href", href))
        missing += [
            f'<{element.tag} {attribute}="{value}">'
            for attribute, value in targets
            if value.removeprefix("#") not in ids or not value
        ]
    return missing
