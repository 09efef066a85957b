"""uvicorn's h11 protocol, accepting raw UTF-8 in the request line (``/?q=申請``).

Browsers percent-encode addresses, but people paste them into curl, scripts and chat tools
that send the bytes as they are. h11 (and httptools) refuse any byte above 0x7e in the request
target, so uvicorn answered ``400 Invalid HTTP request received.`` in plain text before the
application saw anything. Here the request line's bytes above 0x7f are percent-encoded before
h11 reads them — what a browser would have sent — so the application decodes them as UTF-8 like
any other address. Only the request line is touched, never headers or a body. A request
pipelined behind another in the same packet is left as it is (browsers do not pipeline).
"""

from __future__ import annotations

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

PROTOCOL = "registry.web.http11:Utf8TargetH11Protocol"
"""What ``uvicorn.Config(http=...)`` is given (a string, so several workers can import it)."""


def encode_high_bytes(data: bytes) -> bytes:
    """``data`` with every byte above 0x7f percent-encoded (``%E7%94%B3``)."""
    if data.isascii():
        return data
    return b"".join(b"%%%02X" % b if b > 0x7F else bytes((b,)) for b in data)


class Utf8TargetH11Protocol(H11Protocol):
    """H11Protocol whose request line may carry raw UTF-8."""

    _in_request_line = False

    def data_received(self, data: bytes) -> None:
        """Percent-encode high bytes of the request line, then let h11 read it as usual."""
        starting = self.conn.their_state is h11.IDLE and not self.conn.trailing_data[0]
        if starting or self._in_request_line:
            end = data.find(b"\n")
            if end < 0:
                self._in_request_line = True
                data = encode_high_bytes(data)
            else:
                self._in_request_line = False
                data = encode_high_bytes(data[:end]) + data[end:]
        super().data_received(data)


__all__ = ["PROTOCOL", "Utf8TargetH11Protocol", "encode_high_bytes"]
