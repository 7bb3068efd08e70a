"""Clients that keep a service busy and remember exactly what they were told.

A filing client sends each problem with an Idempotency-Key and, until it is
acknowledged, sends it again with the same key whenever no answer (or a 5xx)
came: that is what a careful client does, and it is what makes "exactly
once" checkable.
"""

import itertools
import random
import threading
import time
import uuid

from harness import Tally, try_request

CATEGORIES = ["worker_return", "logistics", "parts_supply", "raw_materials", "funding", "energy"]


def is_problem(headers):
    return (headers or {}).get("content-type", "").startswith("application/problem+json")


class Ports:
    """Round-robin over the instances' ports; a client that gets no answer
    tries the next one, as a load balancer would."""

    def __init__(self, ports):
        self.ports = list(ports)
        self.cycle = itertools.cycle(range(len(self.ports)))
        self.lock = threading.Lock()

    def next(self):
        with self.lock:
            return self.ports[next(self.cycle)]


class FilingClients:
    """One thread per enterprise token, filing until `stop()`, retrying each
    unacknowledged filing until `give_up_at`."""

    def __init__(self, ports, tokens, pause=0.0, timeout=10):
        self.ports, self.tokens, self.pause, self.timeout = ports, tokens, pause, timeout
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

    def _run(self, token):
        while not self.stopping.is_set():
            key = str(uuid.uuid4())
            body = {"category": random.choice(CATEGORIES), "urgency": "normal",
                    "title": f"可靠性测试 {key[:8]}",
                    "description": f"物流受阻，零部件无法送达（{key}）。"}
            self._file_until_acknowledged(token, key, body)
            if self.pause:
                time.sleep(self.pause)

    def _file_until_acknowledged(self, token, key, body):
        port = self.ports.next()
        while True:
            t0 = time.perf_counter()
            status, headers, parsed = try_request(port, "POST", "/api/v1/tickets", body, token,
                                                  {"Idempotency-Key": key}, timeout=self.timeout)
            elapsed = time.perf_counter() - t0
            self.tally.add("sent")
            self.tally.append("answers", (time.time(), status, elapsed, is_problem(headers)))
            if status in (200, 201):
                self.tally.add("acknowledged")
                if status == 200:
                    self.tally.add("replayed")  # a retry whose first try had been written
                self.tally.append("acks", (key, parsed["id"]))
                return
            if status is None:
                self.tally.add("no_answer")
            elif status >= 500 or status == 429:
                self.tally.add(f"status_{status}")
            else:
                self.tally.add(f"status_{status}")
                self.tally.append("refused", (status, parsed))
                return
            if self.give_up_at and time.time() > self.give_up_at:
                self.tally.add("given_up")
                self.tally.append("unacknowledged", key)
                return
            time.sleep(0.2)
            port = self.ports.next()


class Officers:
    """Officers working the county's queue on any instance: sign for, comment,
    resolve. Enterprises rate what was resolved. Every acknowledged action is
    remembered as (ticket id, action)."""

    def __init__(self, ports, officer_tokens, enterprise_tokens, resolve_share=0.5):
        self.ports, self.resolve_share = ports, resolve_share
        self.tally = Tally()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._officer, args=(t,), daemon=True) for t in officer_tokens]
        self.threads += [threading.Thread(target=self._enterprise, args=(t,), daemon=True)
                         for t in enterprise_tokens]

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join()

    def act(self, token, ticket, action, body):
        status, _, parsed = try_request(self.ports.next(), "POST", f"/api/v1/tickets/{ticket}/actions/{action}",
                                        body, token, timeout=10)
        self.tally.add("sent")
        if status == 200:
            self.tally.add("acknowledged")
            self.tally.append("acks", (ticket, action))
            return True
        if status is None or status >= 500:
            self.tally.add("no_answer" if status is None else f"status_{status}")
            self.tally.append("unanswered", (ticket, action))
        elif status == 409:
            self.tally.add("conflicts")  # another officer was first: expected
        else:
            self.tally.add(f"status_{status}")
            self.tally.append("refused", (ticket, action, status, parsed))
        return False

    def queue(self, token, status):
        code, _, page = try_request(self.ports.next(), "GET", f"/api/v1/tickets?status={status}&limit=25",
                                    token=token, timeout=10)
        return [t["id"] for t in page["items"]] if code == 200 else []

    def _officer(self, token):
        while not self.stopping.is_set():
            waiting = self.queue(token, "pending_sign")
            # Leave the newest few unsigned, so that some sign-for deadlines pass.
            if len(waiting) < 4:
                time.sleep(0.3)
                continue
            ticket = random.choice(waiting[3:])
            if self.act(token, ticket, "sign_for", {}):
                self.act(token, ticket, "comment", {"text": "已联系物流专班协调。", "internal": False})
                if random.random() < self.resolve_share:
                    self.act(token, ticket, "resolve", {"resolution": "已协调通行证，车辆放行。"})

    def _enterprise(self, token):
        while not self.stopping.is_set():
            resolved = self.queue(token, "resolved")
            if not resolved:
                time.sleep(0.5)
                continue
            self.act(token, random.choice(resolved), "rate",
                     {"satisfaction": "satisfied", "solved": True, "comment": "感谢"})
