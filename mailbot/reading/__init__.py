"""Message + tables -> Reading, in rooms that each process loads as it needs them.

- message: read_message, read_spreadsheet, read_path, looks_like_mail (the readers, with sheets/ under them)
- whole: a message handed to a reading worker (the parent's side); arrived: what the worker runs
- mail, text, numbers: taking a mail apart, folding text, reading a count (the answering side uses these too)

This package itself loads nothing: a poll's own process, which answers and stores while
its workers read, loads neither the readers nor the spreadsheet libraries.
"""
