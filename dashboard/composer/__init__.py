"""The message composer shared by every channel (work notifications, chats, robot messages).

- ``recipients``: parsing lists of people and departments as typed or pasted.
"""
