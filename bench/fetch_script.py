"""The bare fetch as a script of its own: the floor of `mailbot poll --once` measured as mailbot is.

    python bench/fetch_script.py IMAP_HOST IMAP_PORT USER PASSWORD

What `bench/ingest.py` times inside the benchmark's process as the bare fetch (imap-tools,
every message with its attachments in batches of 50, nothing kept), run here in a process of
its own, so that its time includes an interpreter's start and the import of imap-tools, as
mailbot's and the peers' do. Prints the messages and attachments it fetched.
"""

import sys

from imap_tools import MailBoxUnencrypted


def main() -> int:
    host, port, user, password = sys.argv[1:5]
    messages = attachments = 0
    with MailBoxUnencrypted(host, int(port)).login(user, password, "INBOX") as box:
        for message in box.fetch(mark_seen=False, bulk=50):
            messages += 1
            attachments += sum(1 for a in message.attachments if a.payload)
    print(messages, attachments)
    return 0


if __name__ == "__main__":
    sys.exit(main())
