"""The compatibility rule whatever the order of publication: which LATER versions a version meets.

The rule (registry/service.py, docs/decisions.md "Compatibility in version order") is stated for
the versions of a major line in VERSION order: each release keeps its mode against its
predecessor (transitive modes: against every earlier release of the line), and the declared step
covers the diff from the previous version. Versions are not always published in that order — a
city may publish 1.0.0, then 1.2.0, then 1.1.0. A version ``v`` slotted in between therefore
becomes the predecessor of the versions after it, and is checked in both roles:

- as the NEW version, against the earlier ones, under ``v``'s own mode (as before);
- as the OLD version, against each later version ``w`` of the same major line whose pair
  ``(v, w)`` the rule binds — ``w`` the immediate successor of ``v``, or ``w`` with a
  ``*_TRANSITIVE`` mode (it binds every earlier release) — under ``w``'s mode, as if ``w`` were
  published after ``v``: ``w``'s mode must hold from ``v`` to ``w`` and the step ``v → w`` must
  cover the diff's required bump (``NONE``: only the bump, measured as BACKWARD).

So with 1.0.0 and 1.2.0 (= 1.0.0) published, a 1.1.0 that adds an optional field to a closed
object is refused under every mode: under FORWARD*, FULL* already as a new version (1.0.0
rejects data 1.1.0 accepts: forward-breaking, a major step); under BACKWARD and
BACKWARD_TRANSITIVE as the predecessor of 1.2.0 (which then drops a field data collected under
1.1.0 holds: backward-breaking); under NONE likewise, since NONE relaxes the mode but not SemVer
(a backward-breaking step needs a major version). Pure: no web, SQL or git.
"""

from __future__ import annotations

from collections.abc import Mapping

from registry.versioning import Version

__all__ = ["later_in_line", "later_pairs"]


def later_in_line(version: str, existing: list[str]) -> list[str]:
    """Versions of the same major line after ``version``, ascending."""
    mine = Version.parse(version)
    return sorted((v for v in existing if Version.is_valid(v) and Version.parse(v) > mine
                   and Version.parse(v).major == mine.major), key=Version.parse)


def later_pairs(later: list[str], modes: Mapping[str, str]) -> list[str]:
    """Of ``later`` (from later_in_line), those whose pair with the new version the rule binds."""
    return [w for i, w in enumerate(later)
            if i == 0 or modes.get(w, "BACKWARD").upper().endswith("_TRANSITIVE")]
