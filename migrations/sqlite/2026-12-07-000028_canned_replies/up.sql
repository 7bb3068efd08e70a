-- Issue 24: a department's canned replies (常用语), written by its lead and
-- inserted by its staff into any text field of a ticket.
CREATE TABLE canned_replies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    department_id BIGINT NOT NULL REFERENCES departments (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_by BIGINT NOT NULL REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX canned_replies_department ON canned_replies (department_id);
