"""Issue 13, item 15: a fresh install gets exactly what was tested. Every package of the lock files is
pinned to one version and carries its hashes, so pip installs in hash-checking mode; the lock files
are compiled from requirements*.in (`make lock`), which hold the direct dependencies."""

import re

import pytest

from tests import paths

REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\]+)")


def _entries(name: str) -> list[tuple[str, str, list[str]]]:
    """(package, version, hashes) of each requirement of a compiled requirements file."""
    entries, current = [], None
    for line in (paths.ROOT / name).read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = REQUIREMENT.match(stripped)
        if match:
            current = (match.group(1).lower(), match.group(2), [])
            entries.append(current)
        elif stripped.startswith("--hash=sha256:"):
            assert current is not None, f"{name}: a hash before any requirement"
            current[2].append(stripped.removeprefix("--hash=sha256:").rstrip(" \\"))
        else:
            pytest.fail(f"{name}: not a pinned, hashed requirement: {stripped!r}")
    return entries


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-test.txt"])
def test_every_package_is_pinned_with_its_hashes(name):
    entries = _entries(name)
    assert entries
    for package, version, hashes in entries:
        assert hashes, f"{name}: {package}=={version} has no hash"
        assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), package


def test_the_test_lock_holds_the_runtime_lock_exactly():
    runtime = {(p, v, tuple(sorted(h))) for p, v, h in _entries("requirements.txt")}
    test = {(p, v, tuple(sorted(h))) for p, v, h in _entries("requirements-test.txt")}
    assert runtime <= test


@pytest.mark.parametrize(
    ("source", "lock"), [("requirements.in", "requirements.txt"), ("requirements-test.in", "requirements-test.txt")]
)
def test_each_direct_pin_is_the_locked_version(source, lock):
    locked = {package: version for package, version, _ in _entries(lock)}
    for line in (paths.ROOT / source).read_text().splitlines():
        match = REQUIREMENT.match(line.strip())
        if match:
            package = re.sub(r"\[.*\]", "", match.group(1)).lower()
            assert locked.get(package) == match.group(2), f"{source}: {line.strip()} is not what {lock} installs"
