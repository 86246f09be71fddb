"""Uploads and edits: the form checks Mixcloud makes, and publishing into the public lists.

:func:`upload` and :func:`edit` take the fields and files of ``POST /upload/`` and
``POST /upload/{u}/{c}/edit/``, check them like Mixcloud does (the error names the field), apply
them and keep a record of every form received in :attr:`WorldState.uploads` (never file contents).
A public cloudcast is in its owner's, its tags' and the site's ``new`` lists; a draft (unlisted,
or scheduled for a later ``publish_date``) is in none.
"""

from __future__ import annotations

import bisect
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..constants import DESCRIPTION_MAX_SIZE, MP3_MAX_SIZE, PICTURE_MAX_SIZE
from .errors import NotFound, PermissionDenied, UploadError
from .records import Cloudcast, User, WorldState, iso, parse_iso, slugify

__all__ = ["UploadedFile", "edit", "set_public", "upload"]

_TRUE = frozenset({"1", "true", "on", "yes"})
_FALSE = frozenset({"0", "false", "off", "no", ""})
_PUBLISH_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")
_TAG_FIELD = re.compile(r"tags-(\d+)-tag\Z")
_SECTION_FIELD = re.compile(r"sections-(\d+)-(artist|song|chapter|start_time)\Z")
_HOST_FIELD = re.compile(r"hosts-(\d+)-username\Z")


@dataclass(frozen=True)
class UploadedFile:
    """A file received in an upload or edit form (its content is not kept).

    Attributes
    ----------
    filename : str
        File name sent by the client.
    size : int
        Size in bytes.
    content_type : str or None
        Content type sent by the client.
    """

    filename: str
    size: int
    content_type: str | None = None


def upload(state: WorldState, username: str, fields: Mapping[str, str],
           files: Mapping[str, UploadedFile] | None = None, *,
           content_type: str | None = None) -> str:
    """Create a cloudcast from an upload form; see :meth:`World.upload`."""
    files = dict(files or {})
    record = _record(state, "upload", username, None, fields, files, content_type)
    user = state.users[state.user_index(username)]
    try:
        form = _validate(state, user, fields, files, edit=False)
    except UploadError as error:
        record["error"] = str(error)
        raise
    rng = random.Random(f"mixframe-sandbox:{state.seed}:upload:{len(state.cloudcasts)}")
    created = state.tick()
    cc = Cloudcast(
        idx=len(state.cloudcasts), owner=user.idx, name=form["name"], created=created,
        updated=created, audio_length=max(1, files["mp3"].size * 8 // 128000), tags=(),
        appeal=1.0, extra_plays=0, picture=rng.getrandbits(128),
        color=f"{rng.getrandbits(24):06x}", description="", sections=[], public=False)
    state.add_slug(user, cc)
    state.cloudcasts.append(cc)
    user.drafts.append(cc.idx)
    _apply(state, cc, form, new=True)
    record["key"] = state.cloudcast_key(cc)
    record["ok"] = True
    return record["key"]


def edit(state: WorldState, username: str, key: str, fields: Mapping[str, str],
         files: Mapping[str, UploadedFile] | None = None, *,
         content_type: str | None = None) -> str:
    """Change the cloudcast `key` from an edit form; see :meth:`World.edit`."""
    files = dict(files or {})
    record = _record(state, "edit", username, key, fields, files, content_type)
    user = state.users[state.user_index(username)]
    try:
        c = state.cloudcast_by_key(key)
    except NotFound as error:
        record["error"] = str(error)
        raise
    cc = state.cloudcasts[c]
    record["key"] = state.cloudcast_key(cc)
    if cc.owner != user.idx:
        record["error"] = "You can only edit your own uploads"
        raise PermissionDenied(record["error"])
    try:
        form = _validate(state, user, fields, files, edit=True)
    except UploadError as error:
        record["error"] = str(error)
        raise
    cc.updated = state.tick()
    _apply(state, cc, form, new=False)
    record["ok"] = True
    return record["key"]


def _record(state: WorldState, action: str, username: str, key: str | None,
            fields: Mapping[str, str], files: Mapping[str, UploadedFile],
            content_type: str | None) -> dict[str, Any]:
    record = {
        "action": action, "username": username, "key": key, "content_type": content_type,
        "fields": dict(fields),
        "files": {name: {"filename": f.filename, "size": f.size} for name, f in files.items()},
        "ok": False, "error": None,
    }
    state.uploads.append(record)
    return record


def _validate(state: WorldState, user: User, fields: Mapping[str, str],
              files: Mapping[str, UploadedFile], edit: bool) -> dict[str, Any]:
    """Check an upload/edit form like Mixcloud does; return the normalised changes."""
    form: dict[str, Any] = {}
    for name in files:
        if name not in ("mp3", "picture"):
            raise UploadError(f"{name}: unexpected file (only mp3 and picture are files)")
    for name in ("mp3", "picture"):
        if name in fields:
            raise UploadError(f"{name}: must be sent as a file")
    if edit:
        if "mp3" in files:
            raise UploadError("mp3: the audio of an upload cannot be changed by an edit")
    elif "mp3" not in files:
        raise UploadError("mp3: an mp3 file is required")
    elif files["mp3"].size <= 0:
        raise UploadError("mp3: the file is empty")
    elif files["mp3"].size > MP3_MAX_SIZE:
        raise UploadError(f"mp3: the file is larger than {MP3_MAX_SIZE} bytes")
    if "picture" in files:
        if files["picture"].size > PICTURE_MAX_SIZE:
            raise UploadError(f"picture: the file is larger than {PICTURE_MAX_SIZE} bytes")
        form["picture"] = True
    if "name" in fields or not edit:
        name = (fields.get("name") or "").strip()
        if not name:
            raise UploadError("name: this field is required")
        form["name"] = name
    if "description" in fields:
        if len(fields["description"]) > DESCRIPTION_MAX_SIZE:
            raise UploadError(
                f"description: longer than {DESCRIPTION_MAX_SIZE} characters")
        form["description"] = fields["description"]
    tags: dict[int, str] = {}
    sections: dict[int, dict[str, str]] = {}
    hosts: dict[int, str] = {}
    touched_tags = touched_sections = touched_hosts = False
    for field, value in fields.items():
        if field.startswith("tags-"):
            touched_tags = True
            m = _TAG_FIELD.match(field)
            if not m:
                raise UploadError(f"{field}: unknown field (tags are sent as tags-N-tag)")
            n = int(m.group(1))
            if n > 4:
                raise UploadError(f"{field}: at most 5 tags, tags-0-tag to tags-4-tag")
            if value.strip():
                tags[n] = value.strip()
        elif field.startswith("sections-"):
            touched_sections = True
            m = _SECTION_FIELD.match(field)
            if not m:
                raise UploadError(
                    f"{field}: unknown field (sections-N-artist, -song, -chapter or "
                    "-start_time)")
            sections.setdefault(int(m.group(1)), {})[m.group(2)] = value.strip()
        elif field.startswith("hosts-"):
            touched_hosts = True
            m = _HOST_FIELD.match(field)
            if not m or int(m.group(1)) > 1:
                raise UploadError(f"{field}: at most 2 hosts, hosts-0-username and "
                                  "hosts-1-username")
            hosts[int(m.group(1))] = value.strip()
    if touched_tags:
        form["tags"] = [tags[n] for n in sorted(tags)]
    if touched_sections:
        form["sections"] = _check_sections(sections)
    for flag in ("unlisted", "disable_comments", "hide_stats", "publish", "unpublish"):
        if flag in fields:
            if flag in ("publish", "unpublish") and not edit:
                raise UploadError(f"{flag}: only accepted when editing")
            value = fields[flag].strip().lower()
            if value not in _TRUE and value not in _FALSE:
                raise UploadError(f"{flag}: must be a boolean (1, true or on; 0, false or off)")
            form[flag] = value in _TRUE
    if sum(bool(form.get(flag)) for flag in ("unlisted", "publish", "unpublish")) > 1:
        raise UploadError("unlisted, publish and unpublish cannot be combined")
    if "publish_date" in fields:
        value = fields["publish_date"].strip()
        try:
            if not _PUBLISH_DATE.match(value):
                raise ValueError(value)
            form["publish_date"] = parse_iso(value)
        except ValueError:
            raise UploadError("publish_date: must be formatted YYYY-MM-DDTHH:MM:SSZ (UTC), "
                              "e.g. 2015-11-21T14:05:00Z") from None
    pro_only = [f for f in ("publish_date", "disable_comments", "hide_stats")
                if form.get(f) not in (None, False)] + (["hosts"] if touched_hosts else [])
    if pro_only and not user.is_pro:
        raise UploadError(f"{pro_only[0]}: only available to Pro accounts")
    if touched_hosts:
        valid = [h for _, h in sorted(hosts.items()) if h.lower() in state.by_name]
        if edit and len(valid) != len([h for h in hosts.values() if h]):
            form["hosts"] = None  # one bad name cancels every host change
        else:
            form["hosts"] = tuple(state.users[state.user_index(h)].username for h in valid)
    return form


def _check_sections(sections: Mapping[int, Mapping[str, str]]) -> list[tuple]:
    out: list[tuple[str, str, str | None, int]] = []
    for n in sorted(sections):
        s = sections[n]
        start = s.get("start_time", "")
        if start:
            if not re.fullmatch(r"\d+", start):
                raise UploadError(f"sections-{n}-start_time: must be a whole number of seconds")
            start_time = int(start)
        else:
            start_time = 0
        if s.get("chapter"):
            if s.get("artist") or s.get("song"):
                raise UploadError(f"sections-{n}-chapter: a section is either a chapter or a "
                                  "track (artist and song), not both")
            out.append(("chapter", s["chapter"], None, start_time))
        elif s.get("artist") or s.get("song"):
            for part in ("artist", "song"):
                if not s.get(part):
                    raise UploadError(f"sections-{n}-{part}: required for a track section")
            out.append(("track", s["artist"], s["song"], start_time))
        else:
            raise UploadError(f"sections-{n}-chapter: a section needs a chapter name or an "
                              "artist and a song")
    return out


def _apply(state: WorldState, cc: Cloudcast, form: Mapping[str, Any], new: bool) -> None:
    was_public = cc.public
    set_public(state, cc, False)  # out of every public list while its tags may change
    if "name" in form:
        cc.name = form["name"]
    if "description" in form:
        cc.description = form["description"]
    if form.get("picture"):
        rng = random.Random(f"mixframe-sandbox:{state.seed}:picture:{state.clock}")
        cc.picture = rng.getrandbits(128)
    if "tags" in form:
        cc.tags = tuple(dict.fromkeys(state.tag_id(slugify(t), t) for t in form["tags"]))
    if "sections" in form:
        cc.sections = form["sections"]
    if "disable_comments" in form:
        cc.disable_comments = form["disable_comments"]
    if "hide_stats" in form:
        cc.hidden_stats = form["hide_stats"]
    if form.get("hosts") is not None:
        cc.hosts = form["hosts"]
    if "publish_date" in form:
        cc.publish_date = iso(form["publish_date"])
    public = True if new else was_public
    if form.get("unlisted") or form.get("unpublish"):
        public = False
    elif form.get("publish") or form.get("unlisted") is False:
        public = True
    scheduled = cc.publish_date is not None and parse_iso(cc.publish_date) > state.clock
    if scheduled and not form.get("publish"):
        public = False
    set_public(state, cc, public)


def set_public(state: WorldState, cc: Cloudcast, public: bool) -> None:
    """Move `cc` in or out of every public list (kept sorted by upload time)."""
    user = state.users[cc.owner]
    ccs = state.cloudcasts
    lists = [user.cloudcasts, state.new] + [state.tag_cloudcasts[t] for t in cc.tags]
    if public == cc.public:
        return
    if public:
        user.drafts.remove(cc.idx)
        for lst in lists:
            bisect.insort(lst, cc.idx, key=lambda i: ccs[i].created)
    else:
        for lst in lists:
            if cc.idx in lst:
                lst.remove(cc.idx)
        user.drafts.append(cc.idx)
    cc.public = public
    state.version += 1
