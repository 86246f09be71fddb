"""Pure behaviour: datetime helpers, the JSON decoder and the exception types."""

from __future__ import annotations

import json
import pickle
from datetime import datetime, timedelta, timezone

import pytest

from mixframe import (AuthError, MixcloudError, MixcloudOAuthError, NotFoundError,
                      RateLimitError, ServerError, TransportError)
from mixframe.datetime import format_datetime, to_timestamp
from mixframe.json import MixcloudJSONDecoder

UTC = timezone.utc


def decode(text):
    return json.loads(text, cls=MixcloudJSONDecoder)


# -- datetime -------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (datetime(2019, 3, 4, 20, 23, 17, tzinfo=UTC), "2019-03-04T20:23:17Z"),
    (datetime(2019, 3, 4, 20, 23, 17, 123456, tzinfo=UTC), "2019-03-04T20:23:17Z"),
    (1530384039, "2018-06-30T18:40:39Z"),
    ("1530384039", "2018-06-30T18:40:39Z"),
    (1383429086.9, "2013-11-02T21:51:26Z"),
    (datetime(2019, 4, 5, 10, 20, 3, tzinfo=timezone(timedelta(hours=2))), "2019-04-05T08:20:03Z"),
    ("2020, Sept 3, 00:03:00 UTC", "2020-09-03T00:03:00Z"),
    ("2019-04-10T07:32:56Z", "2019-04-10T07:32:56Z"),
    ("2018-02-12T13:00:28 GMT-2", "2018-02-12T11:00:28Z"),
    ("2020 April 17, 02:58:04 +03", "2020-04-16T23:58:04Z"),
    (-2345542, "1969-12-04T20:27:38Z"),
    (0, "1970-01-01T00:00:00Z"),
])
def test_format_datetime(value, expected):
    assert format_datetime(value) == expected


@pytest.mark.parametrize("value, expected", [
    (datetime(2020, 6, 1, 18, 21, 1, tzinfo=UTC), 1591035661),
    ("Jan 12 2018 21:02:44 UTC", 1515790964),
    ("August 1, 2016 00:00:00GMT", 1470009600),
    (datetime(2015, 8, 9, 0, 10, tzinfo=UTC), 1439079000),
    (1000, 1000),
])
def test_to_timestamp(value, expected):
    assert to_timestamp(value) == expected


def test_naive_values_are_local_time(local_tz):
    # New York is UTC-5 in March before DST starts.
    assert format_datetime("2019-03-04 20:23:17") == "2019-03-05T01:23:17Z"
    assert format_datetime(datetime(2019, 3, 4, 20, 23, 17)) == "2019-03-05T01:23:17Z"
    assert format_datetime("10-03-2019") == "2019-10-03T04:00:00Z"  # month first


@pytest.mark.parametrize("value", ["random text", [True, 3], {}, None, True, object(), ""])
def test_not_datetime_like_raises_type_error(value):
    with pytest.raises(TypeError, match="expected datetime.datetime object"):
        to_timestamp(value)


def test_huge_timestamp_raises_value_error_not_overflow():
    with pytest.raises(ValueError, match="out of range"):
        to_timestamp("99999999999999999999")


# -- JSON decoder ---------------------------------------------------------------------------

def test_decoder_converts_api_timestamps_everywhere():
    data = decode('{"created_time": "2019-02-03T04:22:18Z", "times": ["2016-11-08T21:29:18Z"],'
                  ' "nested": {"submit_date": "2018-09-04T01:18:45Z"}}')
    expected = datetime(2019, 2, 3, 4, 22, 18, tzinfo=UTC)
    assert data["created_time"] == expected and data["created_time"].tzinfo is UTC
    assert data["times"] == [datetime(2016, 11, 8, 21, 29, 18, tzinfo=UTC)]
    assert data["nested"]["submit_date"] == datetime(2018, 9, 4, 1, 18, 45, tzinfo=UTC)
    assert decode('["2019-02-03T04:22:18Z"]') == [expected]
    assert decode('"2019-02-03T04:22:18Z"') == expected


@pytest.mark.parametrize("text", ["May", "may", "2020", "10", "1", "Sat", "12:30", "1h",
                                  "99999999999999999999", "1383429086", "2019-02-03",
                                  "2019-02-03 04:22:18", "2019-13-45T99:00:00Z",
                                  "2019-02-03T04:22:18+00:00", "2019-02-03T04:22:18.5Z",
                                  "02f102", "/alice/", ""])
def test_decoder_leaves_other_strings_alone(text):
    assert decode(json.dumps({"name": text, "tags": [text]})) == {"name": text, "tags": [text]}


def test_decoder_keeps_plain_values():
    body = '{"play_count": 6365, "is_pro": false, "biog": null, "ratio": 0.5, "x": [1, [2]]}'
    assert decode(body) == json.loads(body)


def test_decoder_refuses_a_second_object_hook():
    with pytest.raises(TypeError, match="object_hook"):
        MixcloudJSONDecoder(object_hook=dict)


# -- exceptions -----------------------------------------------------------------------------

@pytest.mark.parametrize("data, text", [
    ({"error": {"type": "FooException", "message": "A Foo exception occurred"}},
     "FooException: A Foo exception occurred"),
    ({"error": {"message": "An exception occurred", "foo": "bar", "test": "hello there"}},
     "An exception occurred (foo: bar, test: hello there)"),
    ({"error": {"foo": "bar baz", "test": "yes"}}, "(foo: bar baz, test: yes)"),
    ({"error": {"type": "AuthError"}}, "AuthError"),
    ({"error": {"type": "NotFound", "message": "Not found", "retry_after": 0, "empty": ""}},
     "NotFound: Not found (retry_after: 0, empty: )"),
    ({}, ""),
])
def test_mixcloud_error_str(data, text):
    error = MixcloudError(data)
    assert str(error) == text


def test_mixcloud_error_fields_and_no_mutation():
    data = {"error": {"type": "RateLimitException", "message": "slow down", "retry_after": 3}}
    snapshot = json.loads(json.dumps(data))
    error = RateLimitError(data, status=403)
    assert (error.type, error.message, error.extra) == ("RateLimitException", "slow down",
                                                        {"retry_after": 3})
    assert error.retry_after == 3 and error.status == 403
    assert data == snapshot
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.retry_after) == (RateLimitError, str(error), 3)


def test_exception_tree():
    for cls in (AuthError, NotFoundError, RateLimitError, ServerError, TransportError,
                MixcloudOAuthError):
        assert issubclass(cls, MixcloudError)


@pytest.mark.parametrize("data, text", [
    ({"error": "OAuth authorization failed"}, "OAuth authorization failed"),
    ({"error": "invalid_grant"}, "invalid_grant"),
    ({"error": {"type": "OAuthException", "message": "bad code"}}, "bad code"),
    ({}, ""),
])
def test_oauth_error_str(data, text):
    error = MixcloudOAuthError(data)
    assert str(error) == error.message == text
