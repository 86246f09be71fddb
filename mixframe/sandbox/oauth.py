"""The world's OAuth state: registered apps, access tokens and single-use authorisation codes.

Secrets are derived from the seed and a counter of secrets issued, so a replayed flow issues the
same tokens.
"""

from __future__ import annotations

import hashlib

from .errors import OAuthError
from .records import WorldState

__all__ = ["exchange_code", "issue_code", "issue_token", "revoke_token", "token_user"]


def issue_token(state: WorldState, username: str) -> str:
    """A new access token for `username`."""
    i = state.user_index(username)
    token = "sbx-" + _secret(state, "token", state.users[i].username)
    state.tokens[token] = i
    return token


def token_user(state: WorldState, token: str | None) -> str | None:
    """Username authorised by `token`, or None if the token is unknown or revoked."""
    i = state.tokens.get(token) if token else None
    return None if i is None else state.users[i].username


def revoke_token(state: WorldState, token: str) -> None:
    """Forget `token`."""
    state.tokens.pop(token, None)


def issue_code(state: WorldState, client_id: str, redirect_uri: str,
               username: str | None = None) -> str:
    """A single-use code for `client_id` and `redirect_uri`, granting `username`."""
    if client_id not in state.clients:
        raise OAuthError("invalid_client")
    i = state.user_index(username or state.default_username)
    code = _secret(state, "code", state.users[i].username)
    state.codes[code] = (client_id, redirect_uri, i)
    return code


def exchange_code(state: WorldState, client_id: str, client_secret: str, redirect_uri: str,
                  code: str) -> str:
    """A new access token for the user `code` grants (the code is used up)."""
    if state.clients.get(client_id) is None or state.clients[client_id] != client_secret:
        raise OAuthError("invalid_client")
    grant = state.codes.get(code)
    if grant is None or grant[0] != client_id or grant[1] != redirect_uri:
        raise OAuthError("invalid_grant")
    del state.codes[code]
    return issue_token(state, state.users[grant[2]].username)


def _secret(state: WorldState, purpose: str, username: str) -> str:
    state.issued += 1
    digest = hashlib.sha256(f"{state.seed}:{purpose}:{username}:{state.issued}".encode())
    return digest.hexdigest()[:32]
