"""The message composer shared by every channel (work notifications, chats, robot messages).

- ``fields``: the message fields of every msgtype and their rules (``MessageFields``),
  the msgtype labels.
- ``message``: ``build_msg`` (the fields into DingTalk's ``msg`` object),
  ``message_summary`` (a sent msg in one line, for lists).
- ``recipients``: parsing lists of people and departments as typed or pasted.
- ``preview``: the live preview: the message, and per channel the calls the client
  library will make (``work_notice_requests``, ``chat_message_requests``).
"""
