"""`cyclogram web`: calendar feeds over HTTP, `/calendars/<token>.ics`.

Small on purpose: the standard library's threading HTTP server, one route, conditional requests
(ETag / Last-Modified → 304), and nothing that tells an unknown token from a revoked one. Feed
bytes come from `Feeds`, which rebuilds only when the roadmap, its completions or the day change,
and re-serializes only the events that changed.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cyclogram.feeds import Feeds

_PATH = re.compile(r"^/calendars/([A-Za-z0-9_-]{16,64})\.ics$")
CONTENT_TYPE = "text/calendar; charset=utf-8"


def make_handler(feeds: Feeds, quiet: bool = False) -> type[BaseHTTPRequestHandler]:
    class FeedHandler(BaseHTTPRequestHandler):
        server_version = "Cyclogram"
        sys_version = ""

        def do_GET(self) -> None:
            self._serve(with_body=True)

        def do_HEAD(self) -> None:
            self._serve(with_body=False)

        def _serve(self, with_body: bool) -> None:
            path = self.path.split("?", 1)[0]
            match = _PATH.match(path)
            feed = feeds.lookup(match.group(1)) if match else None
            if feed is None:
                self._plain(HTTPStatus.NOT_FOUND, "Not found\n", with_body)
                return
            try:
                built = feeds.build_for(feed)
            except Exception as error:  # noqa: BLE001 - a broken build must not kill the server
                print(f"ошибка сборки календаря {feed.roadmap_id}: {type(error).__name__}", file=sys.stderr)
                self._plain(HTTPStatus.INTERNAL_SERVER_ERROR, "Calendar temporarily unavailable\n", with_body)
                return
            if self._not_modified(built.etag, built.last_modified):
                self.send_response(HTTPStatus.NOT_MODIFIED)
                self.send_header("ETag", built.etag)
                self.send_header("Last-Modified", built.last_modified_http)
                self.end_headers()
                return
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(built.body)))
            self.send_header("ETag", built.etag)
            self.send_header("Last-Modified", built.last_modified_http)
            self.send_header("Cache-Control", "private, max-age=300")
            self.send_header("Content-Disposition", 'inline; filename="calendar.ics"')
            self.end_headers()
            if with_body:
                self.wfile.write(built.body)

        def _not_modified(self, etag: str, last_modified: dt.datetime) -> bool:
            wanted = self.headers.get("If-None-Match")
            if wanted is not None:
                return etag in [tag.strip() for tag in wanted.split(",")] or wanted.strip() == "*"
            since = self.headers.get("If-Modified-Since")
            if since:
                try:
                    return last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
                except (TypeError, ValueError):
                    return False
            return False

        def _plain(self, status: HTTPStatus, text: str, with_body: bool) -> None:
            body = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            if quiet:
                return
            # Tokens are secrets: never write them to logs.
            line = re.sub(r"/calendars/([A-Za-z0-9_-]{6})[A-Za-z0-9_-]+", r"/calendars/\1…", format % args)
            sys.stderr.write(f"{self.address_string()} {line}\n")

    return FeedHandler


class FeedServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 drops connections when a school's devices all refresh at 8:00;
    # a dropped SYN costs the client a 1 s retransmit.
    request_queue_size = 256


def make_server(feeds: Feeds, host: str = "127.0.0.1", port: int = 8080, quiet: bool = False) -> ThreadingHTTPServer:
    return FeedServer((host, port), make_handler(feeds, quiet))
