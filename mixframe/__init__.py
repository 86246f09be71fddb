"""mixframe: study and act on Mixcloud from Python and Jupyter.

>>> from mixframe import Mixcloud, MixcloudOAuth, MixcloudSync, MixcloudError

* :class:`Mixcloud` (async) and :class:`MixcloudSync` (blocking) reach every API endpoint;
* :class:`MixcloudOAuth` (and :class:`MixcloudOAuthSync`) run the OAuth flow;
* :func:`crawl` walks lists and connections into pandas tables, resumably;
* :mod:`mixframe.sandbox` is a local Mixcloud API to test against, offline.
"""

from .auth import MixcloudOAuth
from .constants import (API_ROOT, DESCRIPTION_MAX_SIZE, MIXCLOUD_ROOT, MP3_MAX_SIZE,
                        OAUTH_ROOT, OEMBED_ROOT, PICTURE_MAX_SIZE, TAG_MAX_COUNT)
from .core import Mixcloud
from .crawler import (CrawlResult, ExportError, NotAStoreError, StoreError, StoreLockedError,
                      StoreMismatchError, acrawl, crawl, read_crawl)
from .defaults import get_default_client, set_default_client
from .exceptions import (AuthError, DecodeError, MixcloudError, MixcloudOAuthError,
                         NotFoundError, RateLimitError, ResponseTooLargeError, ServerError,
                         TransportError)
from .models import AccessDict, AccessList, Resource, ResourceList
from .retry import AdaptiveRate, RetryPolicy
from .sync import MixcloudOAuthSync, MixcloudSync, ResourceListSync, ResourceSync
from . import accessor as _accessor  # noqa: F401 (registers the df.mixcloud accessor)

__version__ = "0.1.0"

__all__ = [
    "API_ROOT",
    "AdaptiveRate",
    "AccessDict",
    "AccessList",
    "AuthError",
    "CrawlResult",
    "DESCRIPTION_MAX_SIZE",
    "DecodeError",
    "ExportError",
    "MIXCLOUD_ROOT",
    "MP3_MAX_SIZE",
    "Mixcloud",
    "MixcloudError",
    "MixcloudOAuth",
    "MixcloudOAuthError",
    "MixcloudOAuthSync",
    "MixcloudSync",
    "NotAStoreError",
    "NotFoundError",
    "OAUTH_ROOT",
    "OEMBED_ROOT",
    "PICTURE_MAX_SIZE",
    "RateLimitError",
    "Resource",
    "ResourceList",
    "ResourceListSync",
    "ResourceSync",
    "ResponseTooLargeError",
    "RetryPolicy",
    "ServerError",
    "StoreError",
    "StoreLockedError",
    "StoreMismatchError",
    "TAG_MAX_COUNT",
    "TransportError",
    "__version__",
    "acrawl",
    "crawl",
    "get_default_client",
    "read_crawl",
    "set_default_client",
]
