"""The pipeline a Python user would write by hand, as the peer of `mailbot poll --once`.

    python bench/peer_script.py ENGINE IMAP_HOST IMAP_PORT USER PASSWORD SMTP_HOST SMTP_PORT DB

ENGINE is a pandas.read_excel engine ("calamine" or "openpyxl"). Fetch every mail
with imap-tools, read each spreadsheet with pandas, find the figure column (the
one right of "Đơn vị") and take the "Tổng cộng" row (or the last row), insert a row
per mail, commit once, and send a reply per mail over one smtplib connection.
No checks: no authentication, no deadlines, no history, no review, no ledger.
"""

import io
import smtplib
import sqlite3
import sys
from email.message import EmailMessage

import pandas as pd
from imap_tools import MailBoxUnencrypted


def figure_of(payload: bytes, engine: str):
    sheet = pd.read_excel(io.BytesIO(payload), engine=engine, header=None)
    for row, values in sheet.iterrows():
        names = [str(v).strip() for v in values]
        if "Đơn vị" in names:
            column = names.index("Đơn vị") + 1
            table = sheet.iloc[row + 1 :]
            total = table[table.iloc[:, column - 1].astype(str).str.strip() == "Tổng cộng"]
            return (total if len(total) else table.tail(1)).iloc[0, column]
    return None


def main() -> int:
    engine, host, port, user, password, smtp_host, smtp_port, db = sys.argv[1:9]
    database = sqlite3.connect(db)
    database.execute("CREATE TABLE IF NOT EXISTS reports (uid TEXT, sender TEXT, day TEXT, figure REAL)")
    replies = []
    with MailBoxUnencrypted(host, int(port)).login(user, password, "INBOX") as box:
        for mail in box.fetch(mark_seen=False, bulk=50):
            sheets = [a for a in mail.attachments if a.filename.lower().endswith((".xlsx", ".xls"))]
            figure = figure_of(sheets[0].payload, engine) if sheets else None
            database.execute(
                "INSERT INTO reports VALUES (?, ?, ?, ?)",
                (mail.uid, mail.from_, mail.date.isoformat(), None if figure is None else float(figure)),
            )
            reply = EmailMessage()
            reply["From"], reply["To"] = user, mail.from_
            reply["Subject"] = "Re: " + mail.subject
            reply["In-Reply-To"] = mail.headers.get("message-id", ("",))[0]
            reply.set_content(f"Đã nhận báo cáo: {figure}")
            replies.append(reply)
    database.commit()
    database.close()
    with smtplib.SMTP(smtp_host, int(smtp_port)) as smtp:
        for reply in replies:
            smtp.send_message(reply)
    return 0


if __name__ == "__main__":
    sys.exit(main())
