"""The local runtime's outbox (local/outbox.py): what moto's SES received, as the recipient reads it — the decoded
Japanese subject, the text, the links (the approval page's link among them) — served at GET /local/outbox and printed
by `make run` once per new e-mail."""

from __future__ import annotations

from moto import mock_aws

from local.outbox import MailPrinter, describe, outbox
from shared.dal import aws
from shared.dal.mail import Mail, Mailer, create_sender_identity

LINK = "http://127.0.0.1:3001/approval?link=eyJvIjoiMjEyMTcyIn0.c2ln-_"


def test_the_outbox_reads_each_e_mail_as_its_recipient_does_and_the_printer_shows_each_once():
    with mock_aws():
        aws.reset()
        try:
            client = aws.client("sesv2")
            create_sender_identity(client, "no-reply@furusato.local")
            mailer = Mailer(client, "no-reply@furusato.local")
            shown: list[dict] = []
            printer = MailPrinter(shown.append)
            mailer.send(Mail(to=("a@city.hida.test", "b@city.hida.test"), subject="【ふるさと住民登録】プレミアム登録の承認依頼（飛騨市）",
                             text=f"次のリンクを開いてください。\n{LINK}\n", html=f'<p><a href="{LINK}">開く</a></p>'))
            printer.poll()
            mailer.send(Mail(to=("taro@example.jp",), subject="承認されました", text="おめでとうございます。\n"))
            printer.poll()
            printer.poll()
            (first, second) = outbox()
        finally:
            aws.reset()
    assert first == {"to": ["a@city.hida.test", "b@city.hida.test"],
                     "subject": "【ふるさと住民登録】プレミアム登録の承認依頼（飛騨市）",
                     "text": f"次のリンクを開いてください。\n{LINK}\n", "links": [LINK]}
    assert second["links"] == [] and second["subject"] == "承認されました"
    assert shown == [first, second]
    assert describe(first) == f"[mail] to a@city.hida.test, b@city.hida.test: {first['subject']}\n       {LINK}"
