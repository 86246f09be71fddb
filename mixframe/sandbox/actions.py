"""The actions a user takes through the API: follow, favorite, repost, listen later, and undo.

Each new edge takes the next second of the world's logical clock, so it is the newest of every
list it joins and date paging stays exact. Undoing removes the edge from its lists.
"""

from __future__ import annotations

from .errors import ActionError
from .records import Edges, WorldState

__all__ = ["follow", "is_following", "link", "unfollow"]


def is_following(state: WorldState, username: str, target: str) -> bool:
    """Whether `username` follows `target`."""
    a, b = state.user_index(username), state.user_index(target)
    ends = state.follows.b
    return any(ends[e] == b for e in state.users[a].following)


def follow(state: WorldState, username: str, target: str) -> bool:
    """`username` follows `target`; False if it already did."""
    a, b = state.user_index(username), state.user_index(target)
    if a == b:
        raise ActionError("You cannot follow yourself")
    if is_following(state, username, target):
        return False
    e = state.follows.add(state.tick(), a, b)
    state.users[a].following.append(e)
    state.users[b].followers.append(e)
    return True


def unfollow(state: WorldState, username: str, target: str) -> bool:
    """`username` stops following `target`; False if it did not follow it."""
    a, b = state.user_index(username), state.user_index(target)
    users = state.users
    for e in users[a].following:
        if state.follows.b[e] == b:
            users[a].following.remove(e)
            users[b].followers.remove(e)
            state.version += 1
            return True
    return False


def link(state: WorldState, edges: Edges, user_list: str, cc_list: str | None, username: str,
         key: str, add: bool) -> bool:
    """Add (or remove) the edge `username` -> cloudcast `key` in `edges`.

    The edge id goes in the user's list named `user_list` and, unless `cc_list` is None, in the
    cloudcast's list of that name. False when there is nothing to do.
    """
    a = state.user_index(username)
    c = state.cloudcast_by_key(key)
    user, cc = state.users[a], state.cloudcasts[c]
    lst = getattr(user, user_list)
    existing = next((e for e in lst if edges.b[e] == c), None)
    if add:
        if existing is not None:
            return False
        e = edges.add(state.tick(), a, c)
        lst.append(e)
        if cc_list:
            if getattr(cc, cc_list) is None:
                setattr(cc, cc_list, [])
            getattr(cc, cc_list).append(e)
        return True
    if existing is None:
        return False
    lst.remove(existing)
    if cc_list:
        getattr(cc, cc_list).remove(existing)
    state.version += 1
    return True
