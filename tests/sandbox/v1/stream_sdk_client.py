"""The official `dingtalk-stream` SDK (0.24.3), unchanged, as a Stream client of the sandbox.

Run by tests/sandbox/v1/test_stream_sdk.py in a subprocess with DINGTALK_OPENAPI_ENDPOINT set
(the SDK reads it at import):

    python stream_sdk_client.py CLIENT_ID CLIENT_SECRET [--fail-first]

Every event and card callback it handles is printed to stdout as one JSON line;
`--fail-first` makes the handler raise on the first delivery of each eventId (stream-py then
sends no ack, §7.4), so the gateway must redeliver it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys

import dingtalk_stream
from dingtalk_stream import AckMessage


def emit(**line) -> None:
    print(json.dumps(line, ensure_ascii=False), flush=True)


class Events(dingtalk_stream.EventHandler):
    def __init__(self, fail_first: bool) -> None:
        super().__init__()
        self.fail_first = fail_first
        self.seen: set[str] = set()

    async def process(self, event: dingtalk_stream.EventMessage):
        headers = event.headers
        first = headers.event_id not in self.seen
        self.seen.add(headers.event_id)
        emit(
            kind="event",
            eventType=headers.event_type,
            eventId=headers.event_id,
            eventCorpId=headers.event_corp_id,
            eventBornTime=headers.event_born_time,
            messageId=headers.message_id,
            data=event.data,
            acked=not (first and self.fail_first),
        )
        if first and self.fail_first:
            raise RuntimeError("not this time")
        return AckMessage.STATUS_OK, "OK"


class Cards(dingtalk_stream.CallbackHandler):
    async def process(self, callback: dingtalk_stream.CallbackMessage):
        message = dingtalk_stream.CardCallbackMessage.from_dict(callback.data)
        emit(
            kind="card",
            messageId=callback.headers.message_id,
            outTrackId=message.card_instance_id,
            userId=message.user_id,
            content=message.content,
        )
        return AckMessage.STATUS_OK, {
            "cardData": {"cardParamMap": {"status": "done"}},
            "cardUpdateOptions": {"updateCardDataByKey": True},
        }


class Connected(logging.Handler):
    """Report each `endpoint is …` the SDK logs: one per (re)connection."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("endpoint is"):
            emit(kind="connecting")


def main() -> None:
    client_id, client_secret = sys.argv[1], sys.argv[2]
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    client = dingtalk_stream.DingTalkStreamClient(
        dingtalk_stream.Credential(client_id, client_secret)
    )
    client.logger.addHandler(Connected())
    client.register_all_event_handler(Events("--fail-first" in sys.argv))
    client.register_callback_handler(dingtalk_stream.CallbackHandler.TOPIC_CARD_CALLBACK, Cards())
    asyncio.run(client.start())


if __name__ == "__main__":
    main()
