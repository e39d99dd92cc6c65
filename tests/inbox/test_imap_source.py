"""The IMAP source against a real Dovecot on loopback."""

from __future__ import annotations

import datetime as dt
import socketserver
import threading
from urllib.parse import quote

import pytest
from fixtures_dovecot import WITHOUT_MOVE, ImapAccount, free_port
from inbox_helpers import AT_1520, VN, make_settings, report_mail

from mailbot.errors import SourceError
from mailbot.inbox import open_source
from mailbot.models import SourceMark

NOTHING_KNOWN = lambda keys: set()  # noqa: E731


def batches_of(source, mark=None, known=NOTHING_KNOWN):
    return [batch for batch in source.batches(mark, known)]


def everything(source, mark=None, known=NOTHING_KNOWN):
    return [m for batch in source.batches(mark, known) for m in batch]


def mark_after(messages):
    last = messages[-1]
    return SourceMark(last.uidvalidity, last.uid)


@pytest.fixture
def open_imap():
    opened = []

    def open_(account: ImapAccount, **options):
        source = open_source(make_settings(account.url(options.pop("scheme", "imap")), **options))
        opened.append(source)
        return source

    yield open_
    for source in opened:
        source.close()


def test_new_mail_is_found_and_old_mail_is_not_fetched_again_after_a_restart(imap_account, open_imap):
    first = [report_mail(f"Báo cáo số {n}") for n in range(3)]
    uids = [imap_account.append(raw, AT_1520) for raw in first]

    seen = everything(open_imap(imap_account))
    assert [m.raw for m in seen] == first
    assert [m.uid for m in seen] == uids
    assert all(m.key == f"{m.uidvalidity}:{m.uid}" for m in seen)
    assert (
        seen[0].source == f"imap://{imap_account.user.replace('@', '%40')}@127.0.0.1:{imap_account.server.port}/INBOX"
    )

    later = report_mail("Báo cáo bổ sung")
    imap_account.append(later, AT_1520)
    restarted = open_imap(imap_account)  # a new process: only the mark is remembered
    assert [m.raw for m in everything(restarted, mark_after(seen))] == [later]
    assert everything(restarted, mark_after(seen + everything(restarted, mark_after(seen)))) == []


def test_batches_are_bounded_and_oldest_first(imap_account, open_imap):
    raws = [report_mail(f"Báo cáo {n}") for n in range(5)]
    for raw in raws:
        imap_account.append(raw, AT_1520)
    batches = batches_of(open_imap(imap_account, batch_size=2))
    assert [len(b) for b in batches] == [2, 2, 1]
    assert [m.raw for b in batches for m in b] == raws


def test_keys_the_store_already_holds_are_not_downloaded(imap_account, open_imap):
    raws = [report_mail(f"Báo cáo {n}") for n in range(3)]
    uids = [imap_account.append(raw, AT_1520) for raw in raws]
    source = open_imap(imap_account)
    held = f"{imap_account.uidvalidity()}:{uids[1]}"
    assert [m.raw for m in everything(source, known=lambda keys: {held} & set(keys))] == [raws[0], raws[2]]


def test_mail_another_client_marked_seen_is_still_ingested(imap_account, open_imap):
    read_in_webmail = report_mail("Đã đọc trên webmail")
    uid = imap_account.append(read_in_webmail, AT_1520)
    imap_account.set_flags(uid, r"\Seen")
    arrived_seen = report_mail("Đến với cờ Seen")
    imap_account.append(arrived_seen, AT_1520, flags=[r"\Seen"])
    assert [m.raw for m in everything(open_imap(imap_account))] == [read_in_webmail, arrived_seen]


def test_internaldate_becomes_received_at_not_the_date_header(imap_account, open_imap):
    raw = report_mail("Báo cáo muộn", date=dt.datetime(2020, 8, 14, 15, 0, tzinfo=VN))
    imap_account.append(raw, dt.datetime(2020, 8, 14, 16, 20, tzinfo=VN))
    [message] = everything(open_imap(imap_account))
    assert message.received_at == dt.datetime(2020, 8, 14, 16, 20, tzinfo=VN)
    assert message.received_at.astimezone(VN).hour == 16 and message.received_at.utcoffset() is not None


def test_a_uidvalidity_change_hands_over_everything_again(imap_account, open_imap):
    folder = "Báo cáo"
    imap_account.create_folder(folder)
    raws = [report_mail(f"Báo cáo {n}") for n in range(2)]
    for raw in raws:
        imap_account.append(raw, AT_1520, folder=folder)
    settings = make_settings(imap_account.url(folder=folder))
    before = everything(open_source(settings))
    mark = mark_after(before)

    imap_account.recreate_folder(folder)
    newcomer = report_mail("Báo cáo sau khi tạo lại thư mục")
    for raw in raws + [newcomer]:
        imap_account.append(raw, AT_1520, folder=folder)
    after_source = open_source(settings)
    try:
        after = everything(after_source, mark)
    finally:
        after_source.close()
    assert after[0].uidvalidity != mark.uidvalidity
    assert [m.raw for m in after] == raws + [newcomer]  # same bytes: the store recognises the first two
    assert after[0].source == before[0].source


def test_an_oversized_message_comes_as_headers_only(imap_account, open_imap):
    big = report_mail("Tệp quá lớn", body="x" * 20_000 + "\nEND-OF-BODY\n")
    small = report_mail("Báo cáo nhỏ")
    imap_account.append(big, AT_1520)
    imap_account.append(small, AT_1520)
    [large, normal] = everything(open_imap(imap_account, max_message_bytes=10_000))
    assert large.headers_only and not normal.headers_only
    assert large.size == imap_account.listing()[0].size > 10_000
    assert b"Subject:" in large.raw and b"END-OF-BODY" not in large.raw and len(large.raw) < 2_000
    assert normal.raw == small


def test_the_mailbox_is_left_unchanged_by_default(imap_account, open_imap):
    imap_account.append(report_mail("Một"), AT_1520)
    imap_account.append(report_mail("Hai"), AT_1520, flags=[r"\Flagged"])
    uid = imap_account.append(report_mail("Ba"), AT_1520)
    imap_account.set_flags(uid, r"\Deleted")
    before = imap_account.listing()
    source = open_imap(imap_account)
    for batch in source.batches(None, NOTHING_KNOWN):
        source.after_commit(batch)
    assert imap_account.listing() == before
    assert all(r"\Seen" not in m.flags for m in before)


@pytest.mark.parametrize("server_kind", ["with MOVE", "without MOVE"])
def test_move_to_moves_only_the_ingested_uids(server_kind, imap_account, dovecot_factory):
    if server_kind == "without MOVE":
        server = dovecot_factory(WITHOUT_MOVE)
        imap_account = ImapAccount(server, "baocao@haiduong.gov.vn", "m@t:khau")
        server.add_user(imap_account.user, imap_account.password)
    deleted_by_colleague = imap_account.append(report_mail("Ai đó đã xoá"), AT_1520)
    imap_account.set_flags(deleted_by_colleague, r"\Deleted")
    kept = [imap_account.append(report_mail(f"Báo cáo {n}"), AT_1520) for n in range(2)]
    uidvalidity = imap_account.uidvalidity()
    colleagues_key = f"{uidvalidity}:{deleted_by_colleague}"

    source = open_source(make_settings(imap_account.url(), move_to="Đã xử lý"))
    try:
        assert ("MOVE" in source.capabilities) == (server_kind == "with MOVE")
        for batch in source.batches(None, lambda keys: {colleagues_key} & set(keys)):
            assert [m.uid for m in batch] == kept
            source.after_commit(batch)
    finally:
        source.close()
        imap_account.close()
    remaining = imap_account.listing()
    assert [(m.uid, r"\Deleted" in m.flags) for m in remaining] == [(deleted_by_colleague, True)]
    assert len(imap_account.listing("Đã xử lý")) == 2


def test_idle_wakes_the_source_when_mail_arrives(imap_account, open_imap):
    source = open_imap(imap_account)
    assert "IDLE" in source.capabilities
    appender = threading.Timer(0.5, imap_account.append, args=(report_mail("Thư mới"), AT_1520))
    appender.start()
    try:
        assert source.wait_for_change(60) is True
    finally:
        appender.join()
    assert len(everything(source)) == 1


def test_idle_keepalives_are_not_a_wake_up(imap_account, open_imap):
    # the test server sends "* OK Still here" every second while idling
    assert open_imap(imap_account).wait_for_change(2.5) is False


def test_a_stop_signal_ends_the_idle_wait(imap_account, open_imap):
    source = open_imap(imap_account)
    stop = threading.Event()
    outcome = []
    waiter = threading.Thread(target=lambda: outcome.append(source.wait_for_change(600, stop)))
    waiter.start()
    threading.Timer(0.3, stop.set).start()
    waiter.join(timeout=60)
    assert outcome == [False]


def test_mail_that_arrived_after_the_last_search_wakes_at_once(imap_account, open_imap):
    source = open_imap(imap_account)
    assert everything(source) == []
    imap_account.append(report_mail("Đến giữa hai lần kiểm tra"), AT_1520)
    assert source.wait_for_change(60) is True


# --- failures ---------------------------------------------------------------------------


def test_a_wrong_password_is_one_clear_line_without_the_password(dovecot_factory):
    # a server of its own: Dovecot slows down later logins from an address that failed one
    server = dovecot_factory()
    account = ImapAccount(server, "baocao@haiduong.gov.vn", "Dung#M@tKhau:1")
    server.add_user(account.user, account.password)
    wrong = "Sai#M@tKhau:99"
    with pytest.raises(SourceError) as raised:
        open_source(make_settings(account.url(with_password=False), password=wrong))
    text = str(raised.value)
    assert f"127.0.0.1:{server.port}" in text and account.user in text
    assert "từ chối đăng nhập" in text and "MAILBOT_INBOX_PASSWORD" in text
    assert wrong not in text and account.password not in text and "\n" not in text
    with pytest.raises(SourceError, match="refused the login"):
        open_source(make_settings(account.url(with_password=False), password=wrong, language="en"))


def test_a_server_that_is_down_is_one_clear_line():
    port = free_port()
    settings = make_settings(f"imap://baocao:Bi%40Mat@127.0.0.1:{port}/INBOX")
    with pytest.raises(SourceError) as raised:
        open_source(settings)
    text = str(raised.value)
    assert f"127.0.0.1:{port}" in text and "Không kết nối được" in text
    assert "Bi@Mat" not in text and "Bi%40Mat" not in text and "\n" not in text


def test_a_missing_folder_names_the_folder(imap_account):
    with pytest.raises(SourceError, match="Không có thư mục Lưu trữ"):
        open_source(make_settings(imap_account.url(folder="Lưu trữ")))


def test_the_password_may_come_from_the_environment(imap_account):
    imap_account.append(report_mail("Báo cáo"), AT_1520)
    settings = make_settings(imap_account.url(with_password=False), password=imap_account.password)
    source = open_source(settings)
    try:
        assert len(everything(source)) == 1
        assert imap_account.password not in source.identity
    finally:
        source.close()


# --- TLS -----------------------------------------------------------------------------------


def test_imaps_verifies_the_certificate_by_default(imap_account):
    with pytest.raises(SourceError) as raised:
        open_source(make_settings(imap_account.url("imaps")))
    assert "TLS" in str(raised.value) and "verify_tls" in str(raised.value)


@pytest.mark.parametrize("scheme", ["imaps", "imap+starttls"])
def test_tls_with_a_trusted_certificate(scheme, imap_account, open_imap, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(imap_account.server.cert_file))
    imap_account.append(report_mail("Qua TLS"), AT_1520)
    assert len(everything(open_imap(imap_account, scheme=scheme))) == 1


def test_verification_can_be_turned_off(imap_account, open_imap):
    imap_account.append(report_mail("Chứng chỉ tự cấp"), AT_1520)
    assert len(everything(open_imap(imap_account, scheme="imaps", verify_tls=False))) == 1


# --- a server that echoes what it was sent -----------------------------------------------


class EchoingImap(socketserver.StreamRequestHandler):
    """A scripted IMAP server on loopback that refuses every login and quotes the credentials back,
    as some servers' error replies do. Dovecot never does, so this one stands in for them."""

    def handle(self) -> None:
        self.wfile.write(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n")
        for raw in self.rfile:
            tag, _, rest = raw.decode("utf-8", "replace").rstrip("\r\n").partition(" ")
            command = rest.split(" ", 1)[0].upper()
            if command == "CAPABILITY":
                self.wfile.write(f"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n".encode())
            elif command == "LOGIN":
                self.wfile.write(f"{tag} NO [AUTHENTICATIONFAILED] refused: {rest}\r\n".encode())
            elif command == "LOGOUT":
                self.wfile.write(f"* BYE\r\n{tag} OK bye\r\n".encode())
                return
            else:
                self.wfile.write(f"{tag} BAD unknown\r\n".encode())


@pytest.fixture
def echoing_imap():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), EchoingImap)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_server_reply_that_echoes_the_password_never_carries_it_on(echoing_imap):
    password = "Sen-h0ng/14#8" + "x" * 290  # long: the reply is cut to 300 characters, after redaction
    settings = make_settings(f"imap://baocao@127.0.0.1:{echoing_imap}/INBOX", password=password)
    with pytest.raises(SourceError) as raised:
        open_source(settings)
    text = f"{raised.value.message} {raised.value.hint}"
    assert "AUTHENTICATIONFAILED" in text and "***" in text
    assert password[:13] not in text and quote(password, safe="")[:13] not in text
