"""Constant values: URL roots of the Mixcloud services and upload limits.

Every root has no trailing slash. Limits are inclusive: a value equal to the limit is allowed.
"""

__all__ = [
    "API_ROOT",
    "DESCRIPTION_MAX_SIZE",
    "MIXCLOUD_ROOT",
    "MP3_MAX_SIZE",
    "OAUTH_ROOT",
    "OEMBED_ROOT",
    "PICTURE_MAX_SIZE",
    "TAG_MAX_COUNT",
]

#: Mixcloud API root URL
API_ROOT = "https://api.mixcloud.com"

#: Mixcloud root URL (the website)
MIXCLOUD_ROOT = "https://www.mixcloud.com"

#: Mixcloud oEmbed root URL
OEMBED_ROOT = "https://www.mixcloud.com/oembed"

#: Mixcloud OAuth root URL
OAUTH_ROOT = "https://www.mixcloud.com/oauth"

#: Uploaded mp3 maximum allowed size, in bytes. Mixcloud raised the limit from
#: 500 MB to 4 GiB after the reference client's documentation was written.
MP3_MAX_SIZE = 4294967296

#: Uploaded picture maximum allowed size, in bytes
PICTURE_MAX_SIZE = 10485760

#: Uploaded description maximum allowed size, in characters
DESCRIPTION_MAX_SIZE = 1000

#: Tag maximum allowed count per upload
TAG_MAX_COUNT = 5
