"""The fault scenarios: a crash, a database outage, several instances.

Each returns a report: the figures (sent, acknowledged, found, duplicates,
errors) and the list of problems found; an empty list is a pass.
"""

import datetime
import re
import time

import attachments as attachment_load
import checks
from harness import Cast, PrivatePostgres, Service, Store, Workdir, login, report, tidy, try_request
from load import FilingClients, Officers, Ports
from smtp_sink import SmtpSink

# The scanner and the mail worker run every second, and a message a dead
# worker had claimed is free again after 10 s.
BUSY_JOBS = {
    "YIZHAN__SLA__SCAN_INTERVAL_SECS": "1",
    "YIZHAN__MAIL__LEASE_SECS": "10",
    "YIZHAN__MAIL__SMTP_TIMEOUT_SECS": "2",
    # The lease must outlast four of any channel's sends (checked at start).
    "YIZHAN__ROBOTS__TIMEOUT_SECS": "2",
    "YIZHAN__SMS__TIMEOUT_SECS": "2",
    "YIZHAN__MAIL__BATCH": "200",
    "YIZHAN__MAIL__SMTP_CONNECTIONS": "8",
    "YIZHAN__MAIL__BACKOFF_BASE_SECS": "1",
    "YIZHAN__MAIL__BACKOFF_MAX_SECS": "5",
    "YIZHAN__METRICS__FOLD_INTERVAL_SECS": "2",
}
OFFICERS = 3


def database(backend, workdir):
    if backend == "postgres":
        pg = PrivatePostgres(workdir)
        return pg, pg.url, Store(postgres=pg)
    path = workdir.file("yizhan.db")
    return None, f"sqlite://{path}", Store(sqlite_path=path)


def wait_for_sign_deadlines(store, slack_secs, limit_secs=180):
    """Until every ticket's sign-for deadline has passed by `slack_secs`, so
    that the scanner has had its chance at each one; at most `limit_secs`
    (a deadline further off is itself a finding, reported by the caller)."""
    latest = checks.when(store.rows("SELECT MAX(sign_due_at) FROM tickets")[0][0])
    if latest is None:
        return []
    wait_until = latest + datetime.timedelta(seconds=slack_secs)
    give_up = checks.utcnow() + datetime.timedelta(seconds=limit_secs)
    while checks.utcnow() < min(wait_until, give_up):
        time.sleep(1)
    if wait_until > give_up:
        return [f"a sign-for deadline lies at {latest}, beyond the short SLA policy's minute"]
    return []


def scraped(port, name):
    """A counter's value from an instance's /metrics."""
    status, _, body = try_request(port, "GET", "/metrics")
    if status != 200:
        return None
    total = 0.0
    for line in body.decode().splitlines():
        if re.match(rf"^{name}(\{{.*\}})? ", line):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def filing_figures(clients, store):
    acks = clients.tally.list("acks")
    ids = {int(r[0]) for r in store.rows("SELECT id FROM tickets")}
    t = clients.tally
    return {
        "sent": t.get("sent"),
        "acknowledged": t.get("acknowledged"),
        "found": sum(1 for _, tid in acks if tid in ids),
        "stored": len(ids),
        "duplicates": len(checks.duplicate_filings(store)),
        "no_answer": t.get("no_answer"),
        "errors": {k: v for k, v in t.counts.items() if k.startswith("status_")},
        "given_up": t.get("given_up"),
        "replayed": t.get("replayed"),
    }


def ticket_checks(store, clients):
    return (checks.acknowledged_tickets(store, clients.tally.list("acks"))
            + checks.duplicate_filings(store)
            + checks.half_written(store, OFFICERS)
            + checks.event_logs(store)
            + [f"filing refused: {s} {p}" for s, p in clients.tally.list("refused")])


def crash(binary, backend, seconds, kills):
    """kill -9 the only instance `kills` times during filing load (filings
    with attachments among them); restart it each time; check that nothing
    acknowledged is lost or half-written, that the scanner and the mail
    worker carry on, that no attachment row points at a missing object and
    that the sweep leaves no orphan object."""
    wd = Workdir(f"crash-{backend}")
    pg, url, store = database(backend, wd)
    sink = SmtpSink()
    svc = Service(binary, url, wd, "yizhan", {**sink.settings(), **BUSY_JOBS, **attachment_load.SWEEP})
    try:
        svc.start()
        cast = Cast(svc, enterprises=8, officers=OFFICERS)
        cast.short_sla(svc.port)
        tokens = [login(svc.port, e) for e in cast.enterprise_emails]
        clients = FilingClients(Ports([svc.port]), tokens, pause=0.3)
        clients.start()
        uploaders = attachment_load.AttachmentClients(Ports([svc.port]), tokens[:4])
        uploaders.start()
        planted = attachment_load.plant_orphans(store, wd.file("attachments"))
        kill_times = []
        for _ in range(kills):
            time.sleep(seconds / (kills + 1))
            svc.kill9()
            kill_times.append(time.time())
            time.sleep(1)  # clients find nobody listening
            svc.start()
        time.sleep(seconds / (kills + 1))
        clients.stop(retry_secs=60)
        uploaders.stop(retry_secs=60)
        problems = wait_for_sign_deadlines(store, 8)
        problems += ticket_checks(store, clients) + checks.sla_events(store, 8)
        mail_problems, mail = checks.outbox(store, sink, 180, kill_times, int(BUSY_JOBS["YIZHAN__MAIL__LEASE_SECS"]))
        # The sweep's grace and three of its rounds, then the store's state.
        grace = int(attachment_load.SWEEP["YIZHAN__ATTACHMENTS__ORPHAN_GRACE_SECS"])
        time.sleep(grace + 3 * int(attachment_load.SWEEP["YIZHAN__ATTACHMENTS__SWEEP_INTERVAL_SECS"]))
        file_problems, files = attachment_load.checks(store, wd.file("attachments"), uploaders, grace, planted)
        figures = filing_figures(clients, store)
        figures.update(kills=len(kill_times), mail=mail, attachments=files,
                       sla_events=store.value("SELECT COUNT(*) FROM sla_events"))
        return report(f"crash ({backend})", figures, problems + mail_problems + file_problems, wd)
    finally:
        svc.stop()
        sink.close()
        tidy(wd, pg)


def outage(binary, down_secs, timeout_secs=2):
    """Stop PostgreSQL for `down_secs` under filing load: answers are fast
    503 problems, /readyz says 503, and the same process recovers."""
    wd = Workdir("outage")
    pg, url, store = database("postgres", wd)
    sink = SmtpSink()
    svc = Service(binary, url, wd, "yizhan", {
        **sink.settings(), **BUSY_JOBS, "YIZHAN__DATABASE__CONNECT_TIMEOUT_SECS": str(timeout_secs),
        # The default lease, longer than the outage: a message sent while
        # the database was away is recorded when it returns, not sent again.
        "YIZHAN__MAIL__LEASE_SECS": "300"})
    try:
        svc.start()
        cast = Cast(svc, enterprises=8, officers=OFFICERS)
        cast.short_sla(svc.port)
        tokens = [login(svc.port, e) for e in cast.enterprise_emails]
        clients = FilingClients(Ports([svc.port]), tokens, pause=0.3, timeout=timeout_secs * 10)
        clients.start()
        time.sleep(5)
        pg.stop("immediate")
        down_at = time.time()
        readiness = []
        while time.time() < down_at + down_secs:
            t0 = time.perf_counter()
            status, headers, _ = try_request(svc.port, "GET", "/readyz", timeout=timeout_secs * 10)
            readiness.append((time.time(), status, time.perf_counter() - t0))
            time.sleep(0.5)
        pg.start()
        up_at = time.time()
        recovered_at = None
        while time.time() < up_at + 60:
            if [a for a in clients.tally.list("answers") if a[0] > up_at and a[1] in (200, 201)]:
                recovered_at = time.time()
                break
            time.sleep(0.1)
        time.sleep(5)
        clients.stop(retry_secs=60)

        problems = []
        # Answers to requests that started after the server went away.
        during = [a for a in clients.tally.list("answers") if down_at + 1 < a[0] - a[2] and a[0] < up_at]
        slow = [a for a in during if a[2] > timeout_secs + 2]
        wrong = [a for a in during if a[1] not in (503,) or not a[3]]
        if not during:
            problems.append("no request was answered while the database was down")
        problems += [f"answer {s} after {e:.1f} s (limit {timeout_secs + 2} s)" for _, s, e, _ in slow[:5]]
        problems += [f"answer {s} (problem+json: {p}) while the database was down" for _, s, _, p in wrong[:5]]
        not_503 = [r for r in readiness if r[0] > down_at + timeout_secs + 1 and r[1] != 503]
        problems += [f"/readyz answered {s} while the database was down" for _, s, _ in not_503[:5]]
        if recovered_at is None:
            problems.append("no filing succeeded within 60 s of the database's return")
        if svc.proc.poll() is not None or svc.starts != 1:
            problems.append("the service process did not survive the outage")
        problems += ticket_checks(store, clients)
        mail_problems, mail = checks.outbox(store, sink, 180)
        figures = filing_figures(clients, store)
        figures.update(
            down_secs=down_secs,
            answers_while_down=len(during),
            slowest_answer_while_down_s=round(max((a[2] for a in during), default=0), 2),
            readyz_while_down={str(s): sum(1 for r in readiness if r[1] == s) for s in {r[1] for r in readiness}},
            recovery_s=round(recovered_at - up_at, 2) if recovered_at else None,
            mail=mail)
        return report("database outage (postgres)", figures, problems + mail_problems, wd)
    finally:
        svc.stop()
        sink.close()
        tidy(wd, pg)


def instances(binary, seconds, count=3):
    """Three instances on one PostgreSQL database, each scanning SLAs and
    sending mail, with filing and officers' work spread over them."""
    wd = Workdir("instances")
    pg, url, store = database("postgres", wd)
    sink = SmtpSink()
    services = [Service(binary, url, wd, f"yizhan-{i}", {**sink.settings(), **BUSY_JOBS}) for i in range(count)]
    try:
        services[0].start()  # migrates first; the others find it done
        cast = Cast(services[0], enterprises=8, officers=OFFICERS)
        cast.short_sla(services[0].port, sign_minutes=1, resolve_minutes=2)
        # Started after the policy change: instances cache policies for
        # sla.cache_secs, so one started before would file tickets under
        # the old targets for up to a minute (as documented).
        for s in services[1:]:
            s.start()
        ports = Ports([s.port for s in services])
        enterprise_tokens = [login(services[0].port, e) for e in cast.enterprise_emails]
        officer_tokens = [login(services[0].port, e) for e in cast.officer_emails]
        clients = FilingClients(ports, enterprise_tokens, pause=0.3)
        officers = Officers(ports, officer_tokens, enterprise_tokens[:4])
        clients.start()
        officers.start()
        time.sleep(seconds)
        clients.stop(retry_secs=30)
        officers.stop()
        problems = wait_for_sign_deadlines(store, 8)
        problems += ticket_checks(store, clients)
        problems += checks.acknowledged_actions(store, officers.tally.list("acks"), officers.tally.list("unanswered"))
        problems += [f"action refused: {r}" for r in officers.tally.list("refused")]
        problems += checks.sla_events(store, 8)
        mail_problems, mail = checks.outbox(store, sink, 180)
        sla_rows = store.value("SELECT COUNT(*) FROM sla_events")
        per_instance = [{"port": s.port,
                         "sla_events": scraped(s.port, "yizhan_sla_events_total"),
                         "mail_sent": scraped(s.port, "yizhan_mail_sent_total")} for s in services]
        if sum(p["sla_events"] or 0 for p in per_instance) != sla_rows:
            problems.append(f"instances counted {[p['sla_events'] for p in per_instance]} SLA events, "
                            f"the table has {sla_rows}")
        if sum(p["mail_sent"] or 0 for p in per_instance) != mail["sent"]:
            problems.append(f"instances counted {[p['mail_sent'] for p in per_instance]} sent messages, "
                            f"the outbox has {mail['sent']}")
        figures = filing_figures(clients, store)
        o = officers.tally
        figures.update(
            instances=count,
            actions={"sent": o.get("sent"), "acknowledged": o.get("acknowledged"),
                     "conflicts": o.get("conflicts"), "no_answer": o.get("no_answer"),
                     "in_log": store.value("SELECT COUNT(*) FROM ticket_events WHERE action <> 'file'")},
            sla_events=sla_rows, per_instance=per_instance, mail=mail)
        return report(f"{count} instances (postgres)", figures, problems + mail_problems, wd)
    finally:
        for s in services:
            s.stop()
        sink.close()
        tidy(wd, pg)
