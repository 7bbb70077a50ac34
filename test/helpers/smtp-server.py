# A real SMTP server for the tests (aiosmtpd): every message accepted is written to DIR as N.eml, with
# the envelope in N.json; a recipient refused@... is refused (550). STARTTLS is offered (and required) when a certificate is given; AUTH PLAIN and
# LOGIN are required when a user is given. Prints "listening PORT" once it serves; stops on SIGTERM.
import asyncio, json, os, signal, ssl, sys, threading
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

folder, port = sys.argv[1], int(sys.argv[2])
cert = os.environ.get("SMTP_CERT")
key = os.environ.get("SMTP_KEY")
user = os.environ.get("SMTP_USER")
password = os.environ.get("SMTP_PASSWORD")
count = 0


class Keep:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # A mailbox that does not exist, for the tests of a permanent refusal.
        if address.startswith("refused@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        global count
        count += 1
        with open(os.path.join(folder, f"{count}.eml"), "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(os.path.join(folder, f"{count}.json"), "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos, "tls": session.ssl is not None}, f)
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login.decode() == user and auth_data.password.decode() == password
    return AuthResult(success=ok)


kwargs = {}
if cert:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    kwargs.update(tls_context=context, require_starttls=True)
if user:
    kwargs.update(authenticator=authenticate, auth_required=True, auth_require_tls=bool(cert))

controller = Controller(Keep(), hostname="127.0.0.1", port=port, **kwargs)
controller.start()
print(f"listening {port}", flush=True)
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: done.set())
done.wait()
controller.stop()
