"""Invariants read straight from the database after a scenario: what the
clients were told against what was written. Each check returns a list of
problems (empty: the property holds), worded for the report.
"""

import datetime
import time


def when(text):
    """A stored timestamp (naive UTC; SQLite text or PostgreSQL's output)."""
    if not text:
        return None
    return datetime.datetime.fromisoformat(text.replace("T", " ").rstrip("Z"))


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def acknowledged_tickets(store, acks):
    """Every (idempotency key, ticket id) a client saw acknowledged exists,
    once, under that key."""
    problems = []
    ids = {int(r[0]) for r in store.rows("SELECT id FROM tickets")}
    keyed = {}
    for key, ticket in store.rows("SELECT key, ticket_id FROM idempotency_keys"):
        keyed.setdefault(key, []).append(int(ticket))
    seen = {}
    for key, ticket in acks:
        if ticket not in ids:
            problems.append(f"ticket {ticket} was acknowledged but is missing")
        if keyed.get(key) != [ticket]:
            problems.append(f"key {key}: acknowledged as {ticket}, stored as {keyed.get(key)}")
        if key in seen and seen[key] != ticket:
            problems.append(f"key {key} acknowledged as two tickets: {seen[key]} and {ticket}")
        seen[key] = ticket
    return problems


def duplicate_filings(store):
    """Filings stored twice: two tickets of one filer with the same title and
    description (every client filing in these scenarios is unique)."""
    rows = store.rows(
        "SELECT filer_id, title, COUNT(*) FROM tickets GROUP BY filer_id, title, description HAVING COUNT(*) > 1")
    return [f"filer {f}: '{t}' stored {n} times" for f, t, n in rows]


def half_written(store, handlers):
    """Each ticket has what its filing wrote in the same transaction: the
    'file' event, its SLA clock, its metrics row, and one new-ticket notice
    per handler of the county."""
    problems = []
    for (tid,) in store.rows(
            "SELECT t.id FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM ticket_events e "
            "WHERE e.ticket_id = t.id AND e.seq = 1 AND e.action = 'file')"):
        problems.append(f"ticket {tid} has no 'file' event")
    for (tid,) in store.rows(
            "SELECT t.id FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM ticket_clocks c WHERE c.ticket_id = t.id)"):
        problems.append(f"ticket {tid} has no SLA clock")
    for (tid,) in store.rows(
            "SELECT t.id FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM ticket_metrics m WHERE m.ticket_id = t.id)"):
        problems.append(f"ticket {tid} has no metrics row")
    for tid, n in store.rows(
            "SELECT t.id, (SELECT COUNT(*) FROM outbox_messages o WHERE o.ticket_id = t.id "
            "AND o.notice = 'new_ticket') FROM tickets t"):
        if int(n) != handlers:
            problems.append(f"ticket {tid} has {n} new-ticket notices, not {handlers}")
    return problems


def event_logs(store):
    """No ticket's event log contradicts its state: numbered 1..n, each event
    starting from the status the previous one left, the last one ending in
    the ticket's status."""
    problems = []
    status = {int(t): s for t, s in store.rows("SELECT id, status FROM tickets")}
    logs = {}
    for tid, seq, action, before, after in store.rows(
            "SELECT ticket_id, seq, action, from_status, to_status FROM ticket_events ORDER BY ticket_id, seq"):
        logs.setdefault(int(tid), []).append((int(seq), action, before, after))
    for tid, s in status.items():
        log = logs.get(tid, [])
        if [e[0] for e in log] != list(range(1, len(log) + 1)):
            problems.append(f"ticket {tid}: events numbered {[e[0] for e in log]}")
            continue
        for prev, ev in zip(log, log[1:]):
            if ev[2] and ev[2] != prev[3]:
                problems.append(f"ticket {tid}: event {ev[0]} ({ev[1]}) starts from {ev[2]}, "
                                f"event {prev[0]} left {prev[3]}")
        if log and log[-1][3] != s:
            problems.append(f"ticket {tid}: status {s}, last event ({log[-1][1]}) left {log[-1][3]}")
    return problems


def acknowledged_actions(store, acks, unanswered):
    """Every action a client saw acknowledged is in the log exactly once, and
    no action is in the log that no client asked for. `acks` is a list of
    (ticket id, action); `unanswered` the same for requests that got no
    answer (they may or may not have happened)."""
    problems = []
    logged = {}
    for tid, action, n in store.rows(
            "SELECT ticket_id, action, COUNT(*) FROM ticket_events WHERE action <> 'file' "
            "GROUP BY ticket_id, action"):
        logged[(int(tid), action)] = int(n)
    wanted, maybe = {}, {}
    for k in acks:
        wanted[k] = wanted.get(k, 0) + 1
    for k in unanswered:
        maybe[k] = maybe.get(k, 0) + 1
    for k in set(wanted) | set(logged):
        have, want = logged.get(k, 0), wanted.get(k, 0)
        if have < want:
            problems.append(f"ticket {k[0]}: {want} '{k[1]}' acknowledged, {have} in the log")
        elif have > want + maybe.get(k, 0):
            problems.append(f"ticket {k[0]}: {have} '{k[1]}' in the log, only {want} acknowledged")
    return problems


def sla_events(store, slack_secs):
    """Each SLA event exists once; every ticket still waiting past a deadline
    (by more than the scan interval) has its overdue event, and no ticket
    that met its deadline has one."""
    problems = []
    for tid, kind, level, rnd, n in store.rows(
            "SELECT ticket_id, kind, level, round, COUNT(*) FROM sla_events "
            "GROUP BY ticket_id, kind, level, round HAVING COUNT(*) > 1"):
        problems.append(f"ticket {tid}: {kind} level {level} round {rnd} recorded {n} times")
    fired = {(int(t), k) for t, k in store.rows(
        "SELECT ticket_id, kind FROM sla_events WHERE round = 1 AND level = 1")}
    horizon = utcnow() - datetime.timedelta(seconds=slack_secs)
    for tid, status, sign_due, signed, transfers in store.rows(
            "SELECT t.id, t.status, t.sign_due_at, t.signed_at, t.sent_on_count FROM tickets t"):
        tid, due, signed_at = int(tid), when(sign_due), when(signed)
        if int(transfers) > 0 or due is None:
            continue
        late = signed_at is None or signed_at > due
        if status == "pending_sign" and due < horizon and (tid, "sign_overdue") not in fired:
            problems.append(f"ticket {tid}: pending since its sign-for deadline {due}, no overdue event")
        if not late and (tid, "sign_overdue") in fired:
            problems.append(f"ticket {tid}: signed for in time ({signed_at} <= {due}) yet marked overdue")
    return problems


def outbox(store, sink, drain_secs, kill_times=(), lease_secs=10):
    """Every queued message was sent and delivered exactly once. Waits up
    to `drain_secs` for the workers to empty the queue first.

    The one exception is a message being sent when its process was killed
    (first delivered within its lease, `lease_secs`, before a kill, or up to
    a second after it, as the sink finishes reading what the dead process
    had written): the mail server had it, the outbox could not record it,
    and after the lease another worker sends it again, with the same
    Message-ID. That is at-least-once
    delivery, and it is counted as `resent_after_crash`."""
    def owed():
        # Pending messages, and SLA events whose notices are not queued yet.
        return (store.value("SELECT COUNT(*) FROM outbox_messages WHERE status = 'pending'")
                + store.value("SELECT COUNT(*) FROM sla_events WHERE queued_at IS NULL"))

    deadline = time.time() + drain_secs
    quiet_since = None
    while time.time() < deadline:
        if owed():
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.time()
        elif time.time() - quiet_since >= 3:  # a send just finished may still be on its way in
            break
        time.sleep(0.5)
    problems = []
    pending = store.value("SELECT COUNT(*) FROM outbox_messages WHERE status = 'pending'")
    if pending:
        problems.append(f"{pending} messages still pending after {drain_secs} s")
    dead = store.rows("SELECT id, last_error FROM outbox_messages WHERE status = 'dead'")
    problems += [f"message {i} dead: {err}" for i, err in dead]
    sent = {int(r[0]) for r in store.rows("SELECT id FROM outbox_messages WHERE status = 'sent'")}
    delivered, unidentified = sink.snapshot()
    for mid in sorted(sent - set(delivered)):
        problems.append(f"message {mid} marked sent, never delivered")
    resent = 0
    for mid, times in sorted(delivered.items()):
        if len(times) > 1:
            in_flight = len(times) == 2 and any(k - lease_secs <= times[0] <= k + 1 < times[1] for k in kill_times)
            if in_flight:
                resent += 1
            else:
                at = ", ".join(datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%H:%M:%S.%f")[:-3]
                               for t in times)
                problems.append(f"message {mid} delivered {len(times)} times (UTC {at})")
        if mid not in sent:
            problems.append(f"message {mid} delivered but not marked sent")
    if unidentified:
        problems.append(f"{unidentified} messages without an outbox Message-ID")
    return problems, {"sent": len(sent), "delivered": sum(len(t) for t in delivered.values()),
                      "duplicates": sum(len(t) - 1 for t in delivered.values()) - resent,
                      "resent_after_crash": resent}
