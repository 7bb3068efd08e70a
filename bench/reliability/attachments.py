"""Attachments under the crash scenario (issue 25): clients that upload two
files (a text and a PDF, each unique) and file a ticket naming them, until
acknowledged; and the checks after kill -9: no row points at a missing
object, every acknowledged filing has its files, and once the sweep has run
no object is left that no row points at.
"""

import os
import threading
import time
import uuid

from harness import Tally, try_request

# The sweep every 2 s, deleting an orphan 5 s after it was last touched.
SWEEP = {
    "YIZHAN__ATTACHMENTS__SWEEP_INTERVAL_SECS": "2",
    "YIZHAN__ATTACHMENTS__ORPHAN_GRACE_SECS": "5",
}


def multipart(files):
    """A multipart/form-data body of `file` parts: (content type header, bytes)."""
    boundary = uuid.uuid4().hex
    body = b""
    for name, data in files:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                 f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
        body += data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", body


def upload(port, token, files, timeout=10):
    """(status, parsed) of POST /api/v1/attachments, sent raw."""
    import http.client
    import json
    content_type, body = multipart(files)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/api/v1/attachments", body,
                     {"Content-Type": content_type, "Authorization": f"Bearer {token}"})
        res = conn.getresponse()
        raw = res.read()
        return res.status, (json.loads(raw) if raw.startswith(b"{") else raw)
    except (OSError, http.client.HTTPException) as e:
        return None, repr(e)
    finally:
        conn.close()


class AttachmentClients:
    """One thread per token: upload two files, then file a ticket naming
    them, each step retried until answered (the service may be dead)."""

    def __init__(self, ports, tokens, pause=0.3):
        self.ports, self.tokens, self.pause = ports, tokens, pause
        self.tally = Tally()
        self.stopping = threading.Event()
        self.give_up_at = None
        self.threads = [threading.Thread(target=self._run, args=(t,), daemon=True) for t in tokens]

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self, retry_secs=60):
        self.give_up_at = time.time() + retry_secs
        self.stopping.set()
        for t in self.threads:
            t.join()

    def _gave_up(self):
        return self.give_up_at is not None and time.time() > self.give_up_at

    def _run(self, token):
        while not self.stopping.is_set():
            key = str(uuid.uuid4())
            files = [(f"说明-{key[:8]}.txt", f"现场说明 {key}\n".encode()),
                     (f"通行证-{key[:8]}.pdf", f"%PDF-1.4\n% {key}\n%%EOF\n".encode())]
            ids = None
            while ids is None and not self._gave_up():
                status, parsed = upload(self.ports.next(), token, files)
                self.tally.add("uploads_sent")
                if status == 201:
                    ids = [i["id"] for i in parsed["items"]]
                elif status is not None and status < 500:
                    self.tally.append("refused", (status, parsed))
                    break
                else:
                    time.sleep(0.2)
            if ids is None:
                continue
            body = {"category": "logistics", "urgency": "normal",
                    "title": f"附件可靠性 {key[:8]}",
                    "description": f"附说明和通行证（{key}）。", "attachment_ids": ids}
            while not self._gave_up():
                status, _, parsed = try_request(self.ports.next(), "POST", "/api/v1/tickets", body,
                                                token, {"Idempotency-Key": key})
                if status in (200, 201):
                    self.tally.append("acks", (parsed["id"], ids))
                    break
                if status is not None and status < 500:
                    self.tally.append("refused", (status, parsed))
                    break
                time.sleep(0.2)
            if self.pause:
                time.sleep(self.pause)


def plant_orphans(store, root, n=3):
    """What a kill between an object's write and its row leaves: objects in
    the store, registered, that no row points at. Their keys."""
    import datetime
    import hashlib
    import sqlite3
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    keys = []
    for i in range(n):
        sha = hashlib.sha256(f"orphan {i} {uuid.uuid4()}".encode()).hexdigest()
        key = f"sha256/{sha[:2]}/{sha[2:4]}/{sha}"
        os.makedirs(os.path.join(root, os.path.dirname(key)), exist_ok=True)
        with open(os.path.join(root, key), "wb") as f:
            f.write(b"%PDF-1.4 an upload cut short by kill -9")
        sql = f"INSERT INTO attachment_objects (object_key, state, touched_at) VALUES ('{key}', 'live', '{now}')"
        if store.postgres:
            store.postgres.psql("yizhan", sql)
        else:
            con = sqlite3.connect(store.sqlite_path, timeout=30)
            with con:
                con.execute(sql)
            con.close()
        keys.append(key)
    return keys


def stored_objects(root):
    """Every object file under the store's root (object_store's staging
    files, named with `#`, are not objects) and the staging files left."""
    objects, staging = set(), 0
    for folder, _, names in os.walk(root):
        for n in names:
            path = os.path.relpath(os.path.join(folder, n), root)
            if "#" in n:
                staging += 1
            else:
                objects.add(path.replace(os.sep, "/"))
    return objects, staging


def swept(log_dir):
    """Objects the instances' sweeps deleted, as their logs say."""
    import re
    total = 0
    for name in os.listdir(log_dir):
        if name.endswith(".log"):
            with open(os.path.join(log_dir, name), errors="replace") as f:
                for line in f:
                    line = re.sub(r"\x1b\[[0-9;]*m", "", line)  # the pretty log's colours
                    if "attachments swept" in line:
                        m = re.search(r"objects[=:]\s*(\d+)", line)
                        total += int(m.group(1)) if m else 0
    return total


def checks(store, root, clients, grace_secs, planted=()):
    """The problems found, and the figures."""
    problems = []
    rows = store.rows("SELECT id, ticket_id, event_id, object_key, thumbnail_key FROM attachments")
    objects, staging = stored_objects(root)
    keys = set()
    for aid, _, _, key, thumb in rows:
        for k in (key, thumb):
            if k:
                keys.add(k)
                if k not in objects:
                    problems.append(f"attachment {aid} points at {k}, which is missing")
    by_ticket = {}
    for _, ticket, event, _, _ in rows:
        if ticket not in (None, "") and event not in (None, ""):  # psql prints NULL as ""
            by_ticket[int(ticket)] = by_ticket.get(int(ticket), 0) + 1
    for ticket, ids in clients.tally.list("acks"):
        if by_ticket.get(int(ticket), 0) != len(ids):
            problems.append(f"ticket {ticket} was acknowledged with {len(ids)} files, holds {by_ticket.get(int(ticket), 0)}")
    problems += [f"refused: {s} {p}" for s, p in clients.tally.list("refused")]
    # The sweep has had its grace and a few rounds: no orphan is left.
    orphans = sorted(objects - keys)
    problems += [f"planted orphan {k} is still there" for k in planted if k in objects]
    problems += [f"orphan {o} was not swept" for o in orphans[:20]]
    figures = {"rows": len(rows), "objects": len(objects), "orphans_left": len(orphans),
               "staging_files_left": staging, "filings_with_files": len(clients.tally.list("acks")),
               "uploads_sent": clients.tally.get("uploads_sent"), "grace_secs": grace_secs,
               "orphans_planted": len(planted), "objects_swept": swept(os.path.dirname(root))}
    return problems, figures
