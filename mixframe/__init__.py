"""mixframe: study and act on Mixcloud from Python and Jupyter.

>>> from mixframe import Mixcloud, MixcloudOAuth, MixcloudSync, MixcloudError

* :class:`Mixcloud` (async) and :class:`MixcloudSync` (blocking) reach every API endpoint;
* :class:`MixcloudOAuth` (and :class:`MixcloudOAuthSync`) run the OAuth flow;
* :mod:`mixframe.sandbox` is a local Mixcloud API to test against, offline.
"""

from .auth import MixcloudOAuth
from .constants import (API_ROOT, DESCRIPTION_MAX_SIZE, MIXCLOUD_ROOT, MP3_MAX_SIZE,
                        OAUTH_ROOT, OEMBED_ROOT, PICTURE_MAX_SIZE, TAG_MAX_COUNT)
from .core import Mixcloud
from .exceptions import (AuthError, DecodeError, MixcloudError, MixcloudOAuthError,
                         NotFoundError, RateLimitError, ServerError, TransportError)
from .models import AccessDict, AccessList, Resource, ResourceList
from .retry import RetryPolicy
from .sync import MixcloudOAuthSync, MixcloudSync, ResourceListSync, ResourceSync

__version__ = "0.1.0"

__all__ = [
    "API_ROOT",
    "AccessDict",
    "AccessList",
    "AuthError",
    "DESCRIPTION_MAX_SIZE",
    "DecodeError",
    "MIXCLOUD_ROOT",
    "MP3_MAX_SIZE",
    "Mixcloud",
    "MixcloudError",
    "MixcloudOAuth",
    "MixcloudOAuthError",
    "MixcloudOAuthSync",
    "MixcloudSync",
    "NotFoundError",
    "OAUTH_ROOT",
    "OEMBED_ROOT",
    "PICTURE_MAX_SIZE",
    "RateLimitError",
    "Resource",
    "ResourceList",
    "ResourceListSync",
    "ResourceSync",
    "RetryPolicy",
    "ServerError",
    "TAG_MAX_COUNT",
    "TransportError",
    "__version__",
]
